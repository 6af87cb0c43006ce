// dudl.backprop's hand-made step in C++: the same ATen kernels, called with the same arguments in the same order
// as the Python HandStep (dudl/backprop.py), so its numbers are autograd's bit for bit. What it saves is Python:
// one call a step instead of about thirty, each with its argument parsing (tests/test_backprop.py runs every case
// both ways; dudl/backprop_native.py builds and loads it).
//
// The chain comes as codes, one a layer (see LINEAR ... SOFTMAX below, and backprop_native.py's KINDS), with one
// number each (leaky ReLU's slope, a softmax's dim). Weights and biases are in the Linear layers' order, a bias
// None where a layer has none.

#include <ATen/ATen.h>
#include <torch/library.h>

namespace {

enum Kind : int64_t { LINEAR = 0, IDENTITY = 1, RELU = 2, LEAKY_RELU = 3, TANH = 4, SIGMOID = 5, LOG_SOFTMAX = 6,
                      SOFTMAX = 7 };
enum Loss : int64_t { CROSS_ENTROPY = 0, NLL = 1, MSE = 2, BCE = 3, BCE_WITH_LOGITS = 4 };
constexpr int64_t MEAN = 1;  // at::Reduction::Mean
constexpr int64_t IGNORE_INDEX = -100;

at::Tensor activation(int64_t kind, double arg, const at::Tensor& x, bool in_place) {
  switch (kind) {
    case IDENTITY: return x;
    case RELU: return in_place ? at::relu_(const_cast<at::Tensor&>(x)) : at::relu(x);
    case LEAKY_RELU: return at::leaky_relu(x, arg);
    case TANH: return in_place ? at::tanh_(const_cast<at::Tensor&>(x)) : at::tanh(x);
    case SIGMOID: return in_place ? at::sigmoid_(const_cast<at::Tensor&>(x)) : at::sigmoid(x);
    case LOG_SOFTMAX: return at::log_softmax(x, static_cast<int64_t>(arg));
    case SOFTMAX: return at::softmax(x, static_cast<int64_t>(arg));
  }
  TORCH_CHECK(false, "dudl backprop: unknown layer kind ", kind);
}

// the gradient at an activation's input from the gradient at its output; x its input, y its output
at::Tensor activation_backward(int64_t kind, double arg, const at::Tensor& g, const at::Tensor& x,
                               const at::Tensor& y) {
  switch (kind) {
    case IDENTITY: return g;
    case RELU: return at::threshold_backward(g, y, 0);
    case LEAKY_RELU: return at::leaky_relu_backward(g, x, arg, false);
    case TANH: return at::tanh_backward(g, y);
    case SIGMOID: return at::sigmoid_backward(g, y);
    case LOG_SOFTMAX: return at::_log_softmax_backward_data(g, y, static_cast<int64_t>(arg), x.scalar_type());
    case SOFTMAX: return at::_softmax_backward_data(g, y, static_cast<int64_t>(arg), x.scalar_type());
  }
  TORCH_CHECK(false, "dudl backprop: unknown layer kind ", kind);
}

// [loss, out]. Each of `params` (the model's parameters, in the order of the Linear layers from last to first,
// weight then bias) gets its gradient as its .grad, as loss.backward() leaves it; with `alphas` (one a parameter,
// in that same order: -lr) each parameter also takes plain SGD's update, param.add_(grad, alpha).
std::vector<at::Tensor> step(const at::Tensor& x, const at::Tensor& target, std::vector<int64_t> kinds,
                             std::vector<double> args, std::vector<at::Tensor> weights,
                             const c10::List<std::optional<at::Tensor>>& biases, int64_t loss_kind,
                             std::vector<at::Tensor> params, std::vector<double> alphas) {
  const int64_t n = static_cast<int64_t>(kinds.size());
  TORCH_CHECK(static_cast<int64_t>(args.size()) == n, "dudl backprop: one arg a layer");
  TORCH_CHECK(weights.size() == biases.size(), "dudl backprop: one bias (or None) a weight");
  at::NoGradGuard no_grad;
  // Every kernel below skips autograd's dispatch layer: with nothing recorded, it would only check that and pass
  // the call on, a microsecond a kernel, a fifth of a small net's step. The kernels are the same, and in-place
  // updates still bump the tensors' version counters (that layer, ADInplaceOrView, stays on).
  at::AutoDispatchBelowAutograd below_autograd;

  // forward, keeping every value: values[i] is layer i's input
  std::vector<at::Tensor> values{x};
  std::vector<int64_t> linear_of(n, -1);
  int64_t linears = 0, first_linear = -1;
  for (int64_t i = 0; i < n; ++i) {
    const at::Tensor& h = values.back();
    if (kinds[i] == LINEAR) {
      linear_of[i] = linears;
      if (first_linear < 0) first_linear = i;
      const at::Tensor w_t = weights[linears].t();
      const std::optional<at::Tensor> b = biases.get(linears);
      values.push_back(b.has_value() ? at::addmm(*b, h, w_t) : h.mm(w_t));
      ++linears;
    } else {
      // right after a Linear layer, whose output nothing else needs, ReLU, tanh and sigmoid run in place
      const bool in_place = i > 0 && kinds[i - 1] == LINEAR &&
                            (kinds[i] == RELU || kinds[i] == TANH || kinds[i] == SIGMOID);
      values.push_back(activation(kinds[i], args[i], h, in_place));
    }
  }
  TORCH_CHECK(first_linear >= 0 && linears == static_cast<int64_t>(weights.size()),
              "dudl backprop: the weights do not match the chain's Linear layers");
  const at::Tensor out = values.back();

  // the loss and its gradient at the output, seeded with ones_like(loss) as autograd's engine does
  at::Tensor loss, g;
  const auto one = [&out] { return at::ones({}, out.options()); };
  switch (loss_kind) {
    case CROSS_ENTROPY: {
      const at::Tensor logp = at::log_softmax(out, 1);
      auto [value, total_weight] = at::nll_loss_forward(logp, target, {}, MEAN, IGNORE_INDEX);
      loss = value;
      g = at::_log_softmax_backward_data(
          at::nll_loss_backward(one(), logp, target, {}, MEAN, IGNORE_INDEX, total_weight), logp, 1,
          out.scalar_type());
      break;
    }
    case NLL: {
      auto [value, total_weight] = at::nll_loss_forward(out, target, {}, MEAN, IGNORE_INDEX);
      loss = value;
      g = at::nll_loss_backward(one(), out, target, {}, MEAN, IGNORE_INDEX, total_weight);
      break;
    }
    case MSE:
      loss = at::mse_loss(out, target, MEAN);
      g = at::mse_loss_backward(one(), out, target, MEAN);
      break;
    case BCE:
      loss = at::binary_cross_entropy(out, target, {}, MEAN);
      g = at::binary_cross_entropy_backward(one(), out, target, {}, MEAN);
      break;
    case BCE_WITH_LOGITS:
      loss = at::binary_cross_entropy_with_logits(out, target, {}, {}, MEAN);
      // autograd's formula without weights: (sigmoid(x) - t) * grad, over the element count for the mean; the
      // seed gradient is exactly 1, and x * 1 is x in IEEE arithmetic, so that product is left out
      g = (out.sigmoid() - target).div_(out.numel());
      break;
    default:
      TORCH_CHECK(false, "dudl backprop: unknown loss kind ", loss_kind);
  }

  // backward, from the last layer to the first Linear (its input is data: no gradient)
  std::vector<at::Tensor> result{loss, out};
  for (int64_t i = n - 1; i >= first_linear; --i) {
    if (kinds[i] == LINEAR) {
      const int64_t k = linear_of[i];
      result.push_back(g.t().mm(values[i]));
      if (biases.get(k).has_value()) result.push_back(g.sum(0));
      if (i > first_linear) g = g.mm(weights[k]);
    } else {
      g = activation_backward(kinds[i], args[i], g, values[i], values[i + 1]);
    }
  }

  if (!alphas.empty()) {
    TORCH_CHECK(alphas.size() + 2 == result.size(), "dudl backprop: one alpha a parameter");
    int64_t p = 2;
    for (int64_t k = linears - 1; k >= 0; --k) {
      weights[k].add_(result[p], alphas[p - 2]);
      ++p;
      const std::optional<at::Tensor> b = biases.get(k);
      if (b.has_value()) {
        at::Tensor bias = *b;
        bias.add_(result[p], alphas[p - 2]);
        ++p;
      }
    }
  }
  TORCH_CHECK(params.size() + 2 == result.size(), "dudl backprop: one parameter a gradient");
  for (size_t p = 0; p < params.size(); ++p) params[p].mutable_grad() = result[p + 2];
  result.resize(2);
  return result;
}

}  // namespace

TORCH_LIBRARY(dudl_backprop, m) {
  m.def("step", &step);
}
