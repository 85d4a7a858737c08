// SPDX-License-Identifier: BSD-3-Clause
// unet3d: a small 3D U-Net in the style of nnU-Net (two stages of strided-convolution encoding,
// instance normalisation, leaky ReLU, transposed-convolution decoding with skip connections, a
// Dice plus cross-entropy loss) trained on random patches of generated volumes, then a
// sliding-window inference with Gaussian weighting over held-out volumes, scored by Dice
// (docs/WORKLOADS.md). The only translation unit of this workload that includes LibTorch.
#include <cmath>

#include "data/segmentation.hpp"
#include "data/volume_generator.hpp"
#include "phase_timer.hpp"
#include "torch_setup.hpp"

namespace jouletrace::workload {
namespace {

namespace nn = torch::nn;

constexpr std::int64_t kClasses = 2;  // background, shape
constexpr std::int64_t kBaseWidth = 8;

// Two 3x3x3 convolutions, each followed by instance normalisation and a leaky ReLU; the first
// may halve the resolution (stride 2), as nnU-Net's encoder stages do.
nn::Sequential conv_block(std::int64_t in, std::int64_t out, std::int64_t stride) {
  auto conv = [](std::int64_t from, std::int64_t to, std::int64_t step) {
    return nn::Conv3d(nn::Conv3dOptions(from, to, 3).stride(step).padding(1).bias(false));
  };
  return nn::Sequential(
      conv(in, out, stride), nn::InstanceNorm3d(nn::InstanceNorm3dOptions(out).affine(true)),
      nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.01)), conv(out, out, 1),
      nn::InstanceNorm3d(nn::InstanceNorm3dOptions(out).affine(true)),
      nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(0.01)));
}

nn::ConvTranspose3d upsample(std::int64_t in, std::int64_t out) {
  return nn::ConvTranspose3d(nn::ConvTranspose3dOptions(in, out, 2).stride(2).bias(false));
}

class UNet3dImpl : public nn::Module {
 public:
  UNet3dImpl()
      : encode1_(register_module("encode1", conv_block(1, kBaseWidth, 1))),
        encode2_(register_module("encode2", conv_block(kBaseWidth, 2 * kBaseWidth, 2))),
        bottom_(register_module("bottom", conv_block(2 * kBaseWidth, 4 * kBaseWidth, 2))),
        up2_(register_module("up2", upsample(4 * kBaseWidth, 2 * kBaseWidth))),
        decode2_(register_module("decode2", conv_block(4 * kBaseWidth, 2 * kBaseWidth, 1))),
        up1_(register_module("up1", upsample(2 * kBaseWidth, kBaseWidth))),
        decode1_(register_module("decode1", conv_block(2 * kBaseWidth, kBaseWidth, 1))),
        head_(register_module("head", nn::Conv3d(nn::Conv3dOptions(kBaseWidth, kClasses, 1)))) {}

  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor level1 = encode1_->forward(x);
    const torch::Tensor level2 = encode2_->forward(level1);
    const torch::Tensor bottom = bottom_->forward(level2);
    torch::Tensor y = decode2_->forward(torch::cat({up2_(bottom), level2}, 1));
    y = decode1_->forward(torch::cat({up1_(y), level1}, 1));
    return head_(y);
  }

 private:
  nn::Sequential encode1_, encode2_, bottom_;
  nn::ConvTranspose3d up2_;
  nn::Sequential decode2_;
  nn::ConvTranspose3d up1_;
  nn::Sequential decode1_;
  nn::Conv3d head_;
};
TORCH_MODULE(UNet3d);

struct VolumeTensors {
  torch::Tensor images;  // V x 1 x E x E x E, float
  torch::Tensor masks;   // V x E x E x E, int64
  std::vector<Volume> volumes;
};

VolumeTensors make_volumes(const Unet3dOptions& options, VolumeRole role, int count) {
  const VolumeSpec spec{
      .edge = options.volume_edge, .max_shapes = options.max_shapes, .noise_sd = options.noise_sd};
  VolumeTensors made;
  std::vector<torch::Tensor> images, masks;
  const std::int64_t e = options.volume_edge;
  for (int i = 0; i < count; ++i) {
    Volume& v = made.volumes.emplace_back(generate_volume(
        spec, volume_seed(options.common.seed, role, static_cast<std::uint64_t>(i))));
    images.push_back(torch::from_blob(v.image.data(), {1, e, e, e}, torch::kFloat32));
    masks.push_back(torch::from_blob(v.mask.data(), {e, e, e}, torch::kUInt8));
  }
  made.images = torch::stack(images);  // stack copies: no tensor aliases a volume's buffers
  made.masks = torch::stack(masks).to(torch::kInt64);
  return made;
}

// nnU-Net's loss: cross-entropy plus one minus the soft Dice of the foreground, in fp32.
torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  const torch::Tensor scores = logits.to(torch::kFloat32);
  const torch::Tensor foreground = torch::softmax(scores, 1).select(1, 1);
  const torch::Tensor truth = target.to(torch::kFloat32);
  const torch::Tensor overlap = (foreground * truth).sum();
  const torch::Tensor soft_dice = (2.0 * overlap + 1.0) / (foreground.sum() + truth.sum() + 1.0);
  return torch::cross_entropy_loss(scores, target) + (1.0 - soft_dice);
}

// Weights of the voxels of a window in the sliding-window sum, highest at its centre (sigma an
// eighth of the window, as nnU-Net), so that window borders, which see less context, count less.
torch::Tensor gaussian_weights(std::int64_t edge, torch::Device device) {
  const double sigma = static_cast<double>(edge) / 8.0;
  const torch::Tensor offset =
      torch::arange(edge, torch::kFloat32) - static_cast<double>(edge - 1) / 2.0;
  const torch::Tensor g = torch::exp(-(offset * offset) / (2.0 * sigma * sigma));
  const torch::Tensor w = g.view({-1, 1, 1}) * g.view({1, -1, 1}) * g.view({1, 1, -1});
  return (w / w.max()).clamp_min(1e-3).to(device);
}

struct Corner {
  std::int64_t z, y, x;
};

torch::Tensor crop(const torch::Tensor& t, const Corner& c, std::int64_t edge,
                   std::int64_t first_axis) {
  return t.narrow(first_axis, c.z, edge)
      .narrow(first_axis + 1, c.y, edge)
      .narrow(first_axis + 2, c.x, edge);
}

// The predicted mask of one volume: window probabilities summed with Gaussian weights, then the
// most probable class per voxel.
std::vector<std::uint8_t> segment(UNet3d& model, const torch::Tensor& image,
                                  const Unet3dOptions& options, const torch::Tensor& weights,
                                  torch::Device device) {
  const std::int64_t edge = options.volume_edge, patch = options.patch_edge;
  const std::vector<int> starts =
      window_starts(options.volume_edge, options.patch_edge, std::max(1, options.patch_edge / 2));
  std::vector<Corner> corners;
  for (int z : starts)
    for (int y : starts)
      for (int x : starts) corners.push_back({z, y, x});
  const torch::Tensor volume = image.to(device);  // 1 x E x E x E
  torch::Tensor sum =
      torch::zeros({kClasses, edge, edge, edge}, torch::TensorOptions().device(device));
  const auto batch = static_cast<std::size_t>(options.common.batch_size);
  for (std::size_t first = 0; first < corners.size(); first += batch) {
    const std::size_t last = std::min(first + batch, corners.size());
    std::vector<torch::Tensor> patches;
    for (std::size_t i = first; i < last; ++i)
      patches.push_back(crop(volume, corners[i], patch, 1));
    const torch::Tensor probabilities =
        torch::softmax(model(torch::stack(patches)).to(torch::kFloat32), 1) * weights;
    for (std::size_t i = first; i < last; ++i)
      crop(sum, corners[i], patch, 1).add_(probabilities[static_cast<std::int64_t>(i - first)]);
  }
  const torch::Tensor predicted = sum.argmax(0).to(torch::kUInt8).contiguous().cpu();
  const std::uint8_t* data = predicted.data_ptr<std::uint8_t>();
  return {data, data + predicted.numel()};
}

}  // namespace

WorkloadResult run_unet3d(const Unet3dOptions& options, bool marked) {
  const torch::Device device = select_device(options.common);
  configure_torch(options.common);
  const VolumeTensors training =
      make_volumes(options, VolumeRole::kTraining, options.train_volumes);
  const VolumeTensors held_out = make_volumes(options, VolumeRole::kHeldOut, options.test_volumes);
  const torch::Tensor train_images = training.images.to(device);
  const torch::Tensor train_masks = training.masks.to(device);

  UNet3d model;
  model->to(device);
  torch::optim::Adam optimiser(model->parameters(),
                               torch::optim::AdamOptions(options.learning_rate));
  Bf16Autocast autocast(options.common, device);
  SeededRandom patch_random(options.common.seed ^ 0x7061746368ULL);
  const std::int64_t patch = options.patch_edge;
  const int room = options.volume_edge - options.patch_edge;

  WorkloadResult result{.workload = "unet3d", .metric_name = "dice"};
  PhaseTimer train("train", marked);
  model->train();
  torch::Tensor last_loss;
  for (int step = 0; step < options.steps; ++step) {
    std::vector<torch::Tensor> images, masks;
    for (int b = 0; b < options.common.batch_size; ++b) {
      const std::int64_t v = patch_random.uniform_int(0, options.train_volumes - 1);
      const Corner c{patch_random.uniform_int(0, room), patch_random.uniform_int(0, room),
                     patch_random.uniform_int(0, room)};
      images.push_back(crop(train_images[v], c, patch, 1));
      masks.push_back(crop(train_masks[v], c, patch, 0));
    }
    optimiser.zero_grad();
    const torch::Tensor loss = dice_ce_loss(model(torch::stack(images)), torch::stack(masks));
    loss.backward();
    optimiser.step();
    autocast.weights_changed();
    last_loss = loss.detach();
    train.add_items(static_cast<std::uint64_t>(options.common.batch_size));
  }
  wait_for_device(device);
  result.phases.push_back(train.finish());
  result.final_loss = last_loss.item<double>();

  PhaseTimer infer("infer", marked);
  model->eval();
  double dice_sum = 0.0;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor weights = gaussian_weights(patch, device);
    for (int i = 0; i < options.test_volumes; ++i) {
      const std::vector<std::uint8_t> predicted =
          segment(model, held_out.images[i], options, weights, device);
      dice_sum += dice_coefficient(predicted, held_out.volumes[static_cast<std::size_t>(i)].mask);
      infer.add_items(1);
    }
  }
  wait_for_device(device);
  result.phases.push_back(infer.finish());
  result.metric = dice_sum / options.test_volumes;
  return result;
}

}  // namespace jouletrace::workload
