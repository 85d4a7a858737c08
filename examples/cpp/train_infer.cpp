// SPDX-License-Identifier: BSD-3-Clause
// Train, then infer, with each phase marked: the energy of training and of inference, and per
// sample, differ (issue 3). Plain C++ so it runs anywhere: a dense layer (softmax regression)
// trained by minibatch SGD on synthetic clustered data, then used to classify a test set.
//
//   train_infer [--epochs N] [--samples N] [--infer-passes N] [--sysfs-root DIR]
//
// Alone, it measures its own phases and prints them. Under `jouletrace run -- train_infer`
// the phases appear in the run's report instead.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <jouletrace/jouletrace.hpp>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int kFeatures = 64;
constexpr int kClasses = 8;
constexpr int kBatch = 32;

struct Dataset {
  std::vector<float> x;  // samples x kFeatures
  std::vector<int> y;
  int size() const { return static_cast<int>(y.size()); }
};

// Gaussian clusters around one random centre per class: learnable, not trivial.
Dataset make_data(int samples, const std::vector<float>& centres, std::mt19937& rng) {
  std::normal_distribution<float> noise(0.0f, 4.0f);
  std::uniform_int_distribution<int> pick(0, kClasses - 1);
  Dataset d;
  d.x.resize(static_cast<std::size_t>(samples) * kFeatures);
  d.y.resize(static_cast<std::size_t>(samples));
  for (int i = 0; i < samples; ++i) {
    const int c = pick(rng);
    d.y[i] = c;
    for (int f = 0; f < kFeatures; ++f)
      d.x[i * kFeatures + f] = centres[c * kFeatures + f] + noise(rng);
  }
  return d;
}

class DenseLayer {
 public:
  explicit DenseLayer(std::mt19937& rng) : w_(kClasses * kFeatures), b_(kClasses, 0.0f) {
    std::normal_distribution<float> init(0.0f, 0.01f);
    for (auto& v : w_) v = init(rng);
  }

  // Softmax probabilities of one sample.
  void forward(const float* x, float* p) const {
    float top = -INFINITY;
    for (int c = 0; c < kClasses; ++c) {
      float z = b_[c];
      for (int f = 0; f < kFeatures; ++f) z += w_[c * kFeatures + f] * x[f];
      p[c] = z;
      top = std::max(top, z);
    }
    float sum = 0.0f;
    for (int c = 0; c < kClasses; ++c) sum += p[c] = std::exp(p[c] - top);
    for (int c = 0; c < kClasses; ++c) p[c] /= sum;
  }

  // One SGD step on samples [first, first + n) of d; returns the batch's mean loss.
  float train_batch(const Dataset& d, int first, int n, float rate) {
    std::vector<float> gw(w_.size(), 0.0f);
    std::vector<float> gb(b_.size(), 0.0f);
    float p[kClasses];
    float loss = 0.0f;
    for (int i = first; i < first + n; ++i) {
      const float* x = &d.x[static_cast<std::size_t>(i) * kFeatures];
      forward(x, p);
      loss -= std::log(std::max(p[d.y[i]], 1e-7f));
      for (int c = 0; c < kClasses; ++c) {
        const float g = p[c] - (c == d.y[i] ? 1.0f : 0.0f);
        gb[c] += g;
        for (int f = 0; f < kFeatures; ++f) gw[c * kFeatures + f] += g * x[f];
      }
    }
    for (std::size_t k = 0; k < w_.size(); ++k) w_[k] -= rate * gw[k] / static_cast<float>(n);
    for (std::size_t k = 0; k < b_.size(); ++k) b_[k] -= rate * gb[k] / static_cast<float>(n);
    return loss / static_cast<float>(n);
  }

  int predict(const float* x) const {
    float p[kClasses];
    forward(x, p);
    return static_cast<int>(std::max_element(p, p + kClasses) - p);
  }

 private:
  std::vector<float> w_;
  std::vector<float> b_;
};

void print(const char* phase, const std::optional<jouletrace::Measurement>& m) {
  if (!m) {
    std::printf("  %-8s energy in the report of the parent `jouletrace run`\n", phase);
    return;
  }
  if (!m->energy_j) {
    std::printf("  %-8s %7.3f s  energy unknown: %s\n", phase, m->duration_s, m->note.c_str());
    return;
  }
  std::printf("  %-8s %7.3f s  %9.3f J +/- %.3f J  (%s)  %llu items  %.3g J/item%s\n", phase,
              m->duration_s, *m->energy_j, m->uncertainty_j.value_or(0.0), m->method.c_str(),
              static_cast<unsigned long long>(m->items), m->energy_per_item_j.value_or(0.0),
              m->short_window ? "  [short window]" : "");
  for (const auto& c : m->components) {
    if (c.in_total && c.energy_j) {
      std::printf("             %-28s %9.3f J\n", c.id.c_str(), *c.energy_j);
    }
  }
}

int run(int argc, char** argv) {
  int epochs = 10;
  int samples = 100000;
  int infer_passes = 100;
  jouletrace::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 < argc && arg == "--epochs") {
      epochs = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--infer-passes") {
      infer_passes = std::max(1, std::atoi(argv[++i]));
    } else if (i + 1 < argc && arg == "--samples") {
      samples = std::atoi(argv[++i]);
    } else if (i + 1 < argc && arg == "--sysfs-root") {
      options.sysfs_root = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--epochs N] [--samples N] [--infer-passes N] [--sysfs-root DIR]\n",
                   argv[0]);
      return 2;
    }
  }
  samples = std::max(samples, kBatch);

  jouletrace::Session session(options);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> spread(-2.0f, 2.0f);
  std::vector<float> centres(kClasses * kFeatures);
  for (auto& v : centres) v = spread(rng);
  const Dataset train = make_data(samples, centres, rng);
  const Dataset test = make_data(samples / 4, centres, rng);
  DenseLayer layer(rng);

  jouletrace::Window training("train");
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    // Nested windows: each epoch inside the whole training phase.
    jouletrace::Window window("train/epoch-" + std::to_string(epoch));
    float loss = 0.0f;
    int batches = 0;
    for (int first = 0; first + kBatch <= train.size(); first += kBatch, ++batches) {
      loss += layer.train_batch(train, first, kBatch, 0.005f);
      window.add_items(kBatch);
      training.add_items(kBatch);
    }
    window.end();
    std::printf("epoch %d: loss %.4f\n", epoch, loss / static_cast<float>(std::max(batches, 1)));
  }
  const auto trained = training.end();

  // Inference is served over and over, like a deployed model: one pass over the test set is a
  // few ms, far too short a phase for any energy sensor (see the short-window warning).
  jouletrace::Window inference("infer");
  int correct = 0;
  for (int pass = 0; pass < infer_passes; ++pass) {
    correct = 0;
    for (int i = 0; i < test.size(); ++i) {
      correct += layer.predict(&test.x[static_cast<std::size_t>(i) * kFeatures]) == test.y[i];
    }
    inference.add_items(static_cast<std::uint64_t>(test.size()));
  }
  const auto inferred = inference.end();
  std::printf("test accuracy: %.1f%% of %d samples\n", 100.0 * correct / test.size(), test.size());

  std::printf("phases (%s):\n", session.mode() == jouletrace::Mode::kSelf
                                    ? "measured in this process"
                                    : "sent to the parent jouletrace run");
  print("train", trained);
  print("infer", inferred);
  if (jouletrace::dropped_markers() > 0) {
    std::printf("warning: %llu markers dropped\n",
                static_cast<unsigned long long>(jouletrace::dropped_markers()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_infer: %s\n", e.what());
    return 1;
  }
}
