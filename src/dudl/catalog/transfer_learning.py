"""Section transfer_learning (course folder transferlearning/): MNIST -> Fashion-MNIST, EMNIST letters -> digits,
frozen ImageNet ResNet-18 and VGG-16 with a new head on STL-10, and autoencoder-pretrained encoders on
Fashion-MNIST and CIFAR-10 (all 6 notebooks)."""

from dudl.catalog import Expect, Experiment
from dudl.paramspec import BatchSize, Block, Count, Epochs, Lr, NonNegative, Probability, Proportion

S = "transfer_learning"
CURVES = ("train_loss", "train_acc", "test_loss", "test_acc")


class MnistToFmnistParams(Block):
    """transfer_MNISTtoFMNIST: train the CNN4MNIST net on digits, copy it, fine-tune it on Fashion-MNIST."""

    test_size: Proportion     # of the course's 20,000 MNIST digits
    batch_size: BatchSize     # both datasets (drop_last); each test set is one batch
    lr: Lr                    # SGD, no momentum ("to slow down learning")
    source_epochs: Epochs     # on the digits
    target_epochs: Epochs     # fine-tuning on Fashion-MNIST


class LettersToNumbersParams(Block):
    """transfer_codeChallenge_letters2numbers: EMNIST letters net, new 10-way output layer, fine-tuned on digits
    with everything trainable (a) and with the convolution and batchnorm layers frozen (b)."""

    test_size: Proportion     # each split (letters, digits) divided at random this way
    batch_size: BatchSize
    lr: Lr                    # Adam
    source_epochs: Epochs
    target_epochs: Epochs
    course_optimizer: bool    # true: the course's bug (the optimizer is built before fc2 is replaced, so the new
                              # output layer never trains); false: the intended experiment
    examples: Count


class PretrainedParams(Block):
    """transfer_resnet / transfer_codeChallengeVGG16: an ImageNet net, all frozen, a new 10-way output layer
    trained on STL-10."""

    batch_size: BatchSize     # drop_last
    test_batch_size: BatchSize    # the test set in batches (mean of the batch means)
    lr: Lr                    # SGD
    momentum: Probability
    epochs: Epochs
    examples: Count           # training images drawn with their class; as many test images predicted


class PretrainFmnistParams(Block):
    """transfer_pretrainFMNIST: a convolutional autoencoder's encoder as the init of a classifier."""

    dev_size: Count           # of the 10,000 official test images; the rest is the test set
    batch_size: BatchSize
    flip: Probability         # RandomHorizontalFlip in the transform of train, dev and test images
    lr: Lr                    # Adam, autoencoder and classifiers
    ae_epochs: Epochs
    epochs: Epochs            # each classifier
    examples: Count
    shown: Count              # dev images reconstructed
    activation_image: int     # which test image's first-layer activations are drawn (course: X[10])


class PretrainCifarParams(Block):
    """transfer_PretrainCIFAR: the CIFAR-10 autoencoder (all 50,000 images) pretrains a classifier trained on a
    small subset."""

    batch_size: BatchSize
    test_batch_size: BatchSize    # the autoencoder's test loss over the full test set in these batches
    lr: Lr                    # Adam
    ae_weight_decay: NonNegative
    ae_epochs: Epochs
    epochs: Epochs            # each classifier
    small_size: Count         # the classifiers' train and test sets: the first this many images of each
    examples: Count
    shown: Count


STL10_NOTE = ("STL-10 has no offline copy and neither have the ImageNet weights (see the README for where to put "
              "them): without them the pipeline skips this experiment.")
PRETRAINED = ("torchvision's {net} with its ImageNet weights ({enum}, what the course's pretrained=True / "
              "DEFAULT loads), every parameter frozen, its output layer {head} replaced by a new, trainable "
              "Linear({features}, 10); STL-10 train (5,000) and test (8,000) images at 96 x 96, ToTensor + ImageNet "
              "Normalize; CrossEntropyLoss, SGD lr .001 momentum .9, batches of 32 (drop_last), 10 epochs. The net "
              "trains in train mode as the course's does, so {mode}.")
TRAINING = ("Train and test loss (CrossEntropyLoss) and accuracy per epoch; the test set is scored in batches of "
            "256 (the mean of the batch means, as the course). " + PRETRAINED)
PREDICTIONS = ("The first 16 test images with the predicted and the true class, green where they agree and red "
               "where not; shown as stored (the course stretches each normalized image to 0..1).")
FMNIST_AE = ("Conv2d(1,16,3) -> Conv2d(16,32,3), stride 2 (28 -> 14 -> 7), then ConvTranspose2d back to 1 x 28 x 28, "
             "leaky ReLU after every layer, the output included (as the course has it)")
FMNIST_DATA = ("Fashion-MNIST, ToTensor + Normalize(.5, .5), every image flipped left-right with probability .5 "
               "each time it is drawn (RandomHorizontalFlip in the course's transform); the 10,000 test images "
               "split at random into a devset of 6,000 (one batch) and a test set of 4,000 (one batch), batches "
               "of 32")
FMNIST_NET = ("the two encoder convs, then Linear(1568,50) -> Linear(50,10) with leaky ReLU after both (the output "
              "too, as the course)")
CIFAR_AE = ("Conv2d(3,16) -> (16,32) -> (32,64), kernel 4, stride 2 (32 -> 4), mirrored by ConvTranspose2d, leaky "
            "ReLU after every layer, the output included")
CIFAR_NET = ("the three encoder convs, then 1024 -> 128 -> 64 -> 10 with leaky ReLU after every layer (the output "
             "too, as the course)")
CIFAR_NOTE = ("CIFAR-10 normalized to -1..1. It has no offline copy: without internet the pipeline skips this "
              "experiment.")
BUG = ("The course builds the Adam optimizer before it replaces fc2 (catalog 1.4), so its new output layer never "
       "trains: we run the intended experiment, the optimizer built after the replacement (params: "
       "course_optimizer true reproduces the bug).")

EXPERIMENTS = [
    Experiment(
        S, "mnist_to_fmnist", ("transfer_MNISTtoFMNIST",), "Transfer learning: MNIST->FMNIST",
        datasets=("mnist", "fashion_mnist"),
        figures={
            "training": "The digit net: train loss per epoch, and train and test accuracy per epoch over 5 epochs. "
                        "The course's MNIST (20,000 digits divided by their max, 90/10 split, batches of 32 with "
                        "drop_last, the test set as one batch); the CNN4MNIST net (Conv2d(1,10,5) -> maxpool -> "
                        "ReLU -> Conv2d(10,20,5) -> maxpool -> ReLU -> 500 -> 50 -> 10), CrossEntropyLoss, SGD lr "
                        ".005 (the course slows learning down on purpose).",
            "transfer": "Accuracy on Fashion-MNIST (ToTensor + Normalize(.5, .5); 60,000 training images, the "
                        "10,000 test images as one batch): the digit net as it is, then a copy of all its weights "
                        "fine-tuned for 1 epoch (train accuracy: the mean over that epoch's minibatches). The "
                        "course prints these numbers (labelled numberNet; they are the fashion net's).",
        },
        expect=(Expect("final_test_acc", 90, 99.5, "estimate: the CNN4MNIST net after 5 epochs of plain SGD .005"),),
        history=CURVES, models=("model",), params=MnistToFmnistParams, mem_mb=3000,
        # measured once with `dudl run` at scale 1.0 (59 s wall, other jobs sharing the 2 cores); not yet by
        # tools/measure_times.py
        cpu_minutes=1.0,
    ),
    Experiment(
        S, "letters_to_numbers", ("transfer_codeChallenge_letters2numbers",), "CodeChallenge: letters to numbers",
        datasets=("emnist",),
        figures={
            "examples": "Twenty-one EMNIST letters with their labels (drawn transposed back, as the course's I.T).",
            "digit_examples": "Twenty-one EMNIST digits with their labels (drawn transposed back).",
            "training": "The letter net: train and test loss and error rate per epoch over 5 epochs. EMNIST "
                        "letters (124,800 images, labels 1-26 moved to 0-25, divided by their max), split 90/10, "
                        "batches of 32 with drop_last, the test set as one batch; Conv2d(1,6,3) -> maxpool -> "
                        "BatchNorm -> leaky ReLU -> Conv2d(6,6,3) -> maxpool -> BatchNorm -> leaky ReLU -> 294 -> 50 "
                        "-> 26, CrossEntropyLoss, Adam lr .001.",
            "transfer": "Error rates on EMNIST digits (240,000 training images divided by their max, split 90/10): "
                        "the letter net as it is (its 26 outputs against digit labels: chance or worse), then a "
                        "copy of all its weights with fc2 replaced by a new Linear(50,10), fine-tuned for 1 epoch "
                        "(a) with every layer training and (b) with the convolution and batchnorm weights frozen "
                        "(their running statistics still update, as in the course). " + BUG,
        },
        expect=(Expect("final_test_err", 5, 12, "catalog: letters test error about 9-11% after 5 epochs"),
                Expect("all_test_err", 1, 5, "catalog: digits after 1 epoch (a) about 2-4% error"),
                Expect("frozen_test_err", 2, 12, "catalog: digits after 1 epoch (b) about 5-10% error")),
        history=CURVES, models=("model",), params=LettersToNumbersParams, mem_mb=4000,
        # an estimate: the EMNIST net at about 3.2 ms a step on one thread (17,550 letter steps, 2 x 6,750 digit
        # steps) plus the one-batch test sets
        cpu_minutes=4.0,
    ),
    Experiment(
        S, "resnet", ("transfer_resnet",), "Transfer learning with ResNet18", datasets=("stl10", "resnet18_weights"),
        figures={
            "pixels": "How often each value occurs in one training batch after the ImageNet Normalize (the "
                      "course's histogram, 100 bins).",
            "examples": "Sixteen training images with their class. " + STL10_NOTE,
            "training": TRAINING.format(net="resnet18", enum="ResNet18_Weights.IMAGENET1K_V1", head="fc",
                                        features=512, mode="the frozen batchnorm layers still update their "
                                        "running statistics"),
            "predictions": PREDICTIONS,
        },
        expect=(Expect("final_test_acc", 75, 88, "reference_results 37: about 75-85% test (below VGG-16)"),),
        history=CURVES, models=("model",), params=PretrainedParams, mem_mb=4000, gpu=1,
        # measured forward passes: 0.24 s a batch of 32 at 96 x 96 on one thread here; 156 train batches and 8,000
        # test images x 10 epochs (the frozen net needs no backward pass past fc)
        cpu_minutes=20.0,
    ),
    Experiment(
        S, "vgg16", ("transfer_codeChallengeVGG16",), "CodeChallenge: VGG-16", datasets=("stl10", "vgg16_weights"),
        figures={
            "pixels": "How often each value occurs in one training batch after the ImageNet Normalize (100 bins).",
            "examples": "Sixteen training images with their class. " + STL10_NOTE,
            "training": TRAINING.format(net="vgg16", enum="VGG16_Weights.IMAGENET1K_V1", head="classifier[6]",
                                        features=4096, mode="dropout in its classifier is on while training"),
            "predictions": PREDICTIONS,
        },
        expect=(Expect("final_test_acc", 89, 94, "reference_results 36: 91.72% test after epoch 10"),
                Expect("final_train_acc", 92, 97, "reference_results 36: 94.93% train"),
                Expect("parameters_imagenet", 138_357_544, 138_357_544,
                       "reference_results 36: 138,357,544 params (torchsummary, before the head is replaced)")),
        history=CURVES, models=("head",), params=PretrainedParams, mem_mb=6000, gpu=1,
        # measured forward passes: 1.77 s a batch of 32 at 96 x 96 on one thread here, 10 epochs of 156 train
        # batches and 8,000 test images: about 2 h; GPU-scale, left out on a CPU without CUDA
        cpu_minutes=125.0,
    ),
    Experiment(
        S, "pretrain_fmnist", ("transfer_pretrainFMNIST",), "Pretraining with autoencoders",
        datasets=("fashion_mnist",),
        figures={
            "examples": "Eighteen test-set images (flipped at random, as the course's transform flips them) with "
                        "their class.",
            "ae_loss": "The autoencoder's train and devset loss (MSE of the output against the input) per epoch "
                       "over 10 epochs. " + FMNIST_AE + "; Adam lr .001. " + FMNIST_DATA + ".",
            "reconstructions": "Ten devset images reconstructed (top) and as they are (bottom), shown as x / 2 + .5.",
            "naive_training": "The naive classifier (random init): train and dev loss and accuracy per epoch and "
                              "the test set once after the last epoch (star). " + FMNIST_NET + "; "
                              "CrossEntropyLoss, Adam lr .001, 10 epochs.",
            "comparison": "Naive (random init) against pretrained (the two encoder convs initialized from the "
                          "trained autoencoder, not frozen): train and dev curves and the final test score (star) "
                          "of each; same data, recipe and epochs.",
            "activations": "One test image's first-layer feature maps of the trained pretrained (top) and naive "
                           "(bottom) nets, computed as the course computes them: ReLU of the layer's 16 kernels "
                           "applied with stride 1, no padding and no bias (so 26 x 26, not the layer's own 14 x 14).",
        },
        expect=(Expect("naive_test_acc", 86, 92, "reference_results 39: both about 88-91% test"),
                Expect("pretrained_test_acc", 86, 92, "reference_results 39: both about 88-91% test")),
        history=("naive_train_acc", "naive_dev_acc", "pretrained_train_acc", "pretrained_dev_acc"),
        models=("autoencoder", "naive", "pretrained"), params=PretrainFmnistParams, mem_mb=3000,
        # an estimate from a run at scale 0.5 (half the images, 5 epochs each: 78 s CPU, 147 s wall with other jobs
        # on the 2 cores): about 4 x that at scale 1.0
        cpu_minutes=6.0,
    ),
    Experiment(
        S, "pretrain_cifar", ("transfer_PretrainCIFAR",), "CIFAR10 with autoencoder-pretrained model",
        datasets=("cifar10",),
        figures={
            "examples": "Sixteen of the first 2,000 training images with their class. " + CIFAR_NOTE,
            "ae_loss": "The autoencoder's train and test loss (MSE, in -1..1 units) per epoch over 15 epochs on all "
                       "50,000 training images (test: the 10,000 test images in batches of 256). " + CIFAR_AE
                       + "; Adam lr .001, weight decay 1e-5, batches of 32 (drop_last).",
            "reconstructions": "Ten of the first 2,000 test images reconstructed (top) and as they are (bottom), "
                               "each titled with its pixel range after x / 2 + .5 (values outside 0..1 clipped for "
                               "display only).",
            "naive_training": "The naive classifier (random init), trained on the first 2,000 training images and "
                              "tested on the first 2,000 test images (batches of 32, the last one short; test "
                              "accuracy the mean of the batch means): loss and accuracy per epoch. " + CIFAR_NET
                              + "; CrossEntropyLoss, Adam lr .001, 10 epochs.",
            "comparison": "Naive against pretrained (the three encoder convs initialized from the autoencoder, not "
                          "frozen): train and test curves of each on the same 2,000 / 2,000 images.",
        },
        expect=(Expect("naive_final_test_acc", 30, 45, "reference_results 39: naive about 35-40% on the small set"),
                Expect("pretrained_final_test_acc", 35, 50, "reference_results 39: pretrained about 40-45%")),
        history=("naive_train_acc", "naive_test_acc", "pretrained_train_acc", "pretrained_test_acc"),
        models=("autoencoder", "naive", "pretrained"), params=PretrainCifarParams, mem_mb=4000,
        # an estimate: the CIFAR-10 autoencoder at 7.7 ms a batch of 32 on one thread (1,562 batches x 15 epochs)
        # plus the test set each epoch; the 2,000-image classifiers take seconds
        cpu_minutes=5.0,
    ),
]
