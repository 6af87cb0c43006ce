"""Benchmarks of the pipeline against the course's own way of writing each experiment (`python -m benchmarks`,
`make bench`), and the deep dives behind them: benchmarks.ffn (the FFN and breadth x depth), benchmarks.cnn
(CNN4MNIST and the denoising autoencoder), benchmarks.gan (the MNIST GAN), benchmarks.stacked (stacked sweeps and
Batches). benchmarks/README.md says what each measures."""
