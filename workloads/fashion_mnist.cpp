// SPDX-License-Identifier: BSD-3-Clause
// fashion-mnist: a small ResNet-style network (a stem convolution, two residual blocks, global
// average pooling, a linear classifier) trained on Fashion-MNIST, then run over the test images
// (docs/WORKLOADS.md). The only translation unit of this workload that includes LibTorch.
#include <cstdio>

#include "data/fashion_mnist_data.hpp"
#include "phase_timer.hpp"
#include "torch_setup.hpp"

namespace jouletrace::workload {
namespace {

namespace nn = torch::nn;

// Two 3x3 convolutions with batch normalisation, added to the input (through a 1x1 projection
// when the block changes the width or the resolution).
class ResidualBlockImpl : public nn::Module {
 public:
  ResidualBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride)
      : conv1_(register_module(
            "conv1",
            nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)))),
        norm1_(register_module("norm1", nn::BatchNorm2d(out))),
        conv2_(register_module("conv2",
                               nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)))),
        norm2_(register_module("norm2", nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out)
      projection_ = register_module(
          "projection",
          nn::Sequential(nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                         nn::BatchNorm2d(out)));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(norm1_(conv1_(x)));
    y = norm2_(conv2_(y));
    return torch::relu(y + (projection_ ? projection_->forward(x) : x));
  }

 private:
  nn::Conv2d conv1_;
  nn::BatchNorm2d norm1_;
  nn::Conv2d conv2_;
  nn::BatchNorm2d norm2_;
  nn::Sequential projection_{nullptr};
};
TORCH_MODULE(ResidualBlock);

class SmallResNetImpl : public nn::Module {
 public:
  SmallResNetImpl()
      : stem_(register_module("stem",
                              nn::Conv2d(nn::Conv2dOptions(1, 16, 3).padding(1).bias(false)))),
        stem_norm_(register_module("stem_norm", nn::BatchNorm2d(16))),
        block1_(register_module("block1", ResidualBlock(16, 16, 1))),
        block2_(register_module("block2", ResidualBlock(16, 32, 2))),
        classifier_(register_module("classifier", nn::Linear(32, kFashionMnistClasses))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(stem_norm_(stem_(x)));
    y = block2_(block1_(y));
    y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
    return classifier_(y);
  }

 private:
  nn::Conv2d stem_;
  nn::BatchNorm2d stem_norm_;
  ResidualBlock block1_;
  ResidualBlock block2_;
  nn::Linear classifier_;
};
TORCH_MODULE(SmallResNet);

// Images as floats in [0, 1], N x 1 x rows x cols; labels as int64. from_blob wants a mutable
// pointer, but the bytes are only read: the conversion copies them.
torch::Tensor image_tensor(const ImageSet& set) {
  torch::Tensor bytes =
      torch::from_blob(const_cast<std::uint8_t*>(set.pixels.data()),
                       {static_cast<std::int64_t>(set.count), 1,
                        static_cast<std::int64_t>(set.rows), static_cast<std::int64_t>(set.cols)},
                       torch::kUInt8);
  return bytes.to(torch::kFloat32).div_(255.0);
}

torch::Tensor label_tensor(const ImageSet& set) {
  return torch::from_blob(const_cast<std::uint8_t*>(set.labels.data()),
                          {static_cast<std::int64_t>(set.count)}, torch::kUInt8)
      .to(torch::kInt64);
}

}  // namespace

WorkloadResult run_fashion_mnist(const FashionMnistOptions& options, bool marked) {
  const torch::Device device = select_device(options.common);
  configure_torch(options.common);
  const std::filesystem::path dir = options.data_dir;
  const ImageSet train_set = load_image_set(images_file(dir, Split::kTrain),
                                            labels_file(dir, Split::kTrain), options.train_limit);
  const ImageSet test_set = load_image_set(images_file(dir, Split::kTest),
                                           labels_file(dir, Split::kTest), options.test_limit);

  // Normalised with the training images' own mean and spread, as the test images are too.
  torch::Tensor train_images = image_tensor(train_set);
  const double mean = train_images.mean().item<double>();
  const double spread = std::max(train_images.std().item<double>(), 1e-6);
  train_images = train_images.sub_(mean).div_(spread).to(device);
  const torch::Tensor train_labels = label_tensor(train_set).to(device);
  const torch::Tensor test_images = image_tensor(test_set).sub_(mean).div_(spread).to(device);
  const torch::Tensor test_labels = label_tensor(test_set).to(device);

  SmallResNet model;
  model->to(device);
  torch::optim::Adam optimiser(model->parameters(),
                               torch::optim::AdamOptions(options.learning_rate));
  const std::int64_t batch = options.common.batch_size;
  const auto train_count = static_cast<std::int64_t>(train_set.count);
  Bf16Autocast autocast(options.common, device);

  WorkloadResult result{.workload = "fashion-mnist", .metric_name = "accuracy"};
  PhaseTimer train("train", marked);
  model->train();
  torch::Tensor epoch_loss;
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    const torch::Tensor order = torch::randperm(train_count, torch::TensorOptions().device(device));
    epoch_loss = torch::zeros({}, torch::TensorOptions().device(device));
    for (std::int64_t first = 0; first < train_count; first += batch) {
      const torch::Tensor picked = order.slice(0, first, std::min(first + batch, train_count));
      optimiser.zero_grad();
      const torch::Tensor logits = model(train_images.index_select(0, picked));
      const torch::Tensor loss = torch::cross_entropy_loss(logits.to(torch::kFloat32),
                                                           train_labels.index_select(0, picked));
      loss.backward();
      optimiser.step();
      autocast.weights_changed();
      epoch_loss += loss.detach() * picked.size(0);
      train.add_items(static_cast<std::uint64_t>(picked.size(0)));
    }
  }
  wait_for_device(device);
  result.phases.push_back(train.finish());
  result.final_loss = epoch_loss.item<double>() / static_cast<double>(train_count);

  PhaseTimer infer("infer", marked);
  model->eval();
  std::int64_t correct = 0;
  {
    torch::NoGradGuard no_grad;
    const auto test_count = static_cast<std::int64_t>(test_set.count);
    torch::Tensor hits =
        torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    for (std::int64_t first = 0; first < test_count; first += batch) {
      const std::int64_t last = std::min(first + batch, test_count);
      const torch::Tensor predicted = model(test_images.slice(0, first, last)).argmax(1);
      hits += predicted.eq(test_labels.slice(0, first, last)).sum();
      infer.add_items(static_cast<std::uint64_t>(last - first));
    }
    correct = hits.item<std::int64_t>();
  }
  wait_for_device(device);
  result.phases.push_back(infer.finish());
  result.metric = static_cast<double>(correct) / static_cast<double>(test_set.count);
  return result;
}

}  // namespace jouletrace::workload
