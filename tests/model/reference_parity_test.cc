// The C++ Synthesizer against the PyTorch reference (bench/reference/lasynth_reference.py), every
// model variant: on a fixed batch with the same parameters, the loss and every parameter's
// gradient agree within tests/model/reference_parity.py's tolerance. This test computes the C++
// side and writes a case file (torch::pickle_save, which torch.load reads): the options, the
// batch, the parameters, the loss and the gradients; the script runs the reference's forward
// (the fused one the C++ model uses, and token by token as the original LaSynth trains), loss
// and backward on them, prints a table of the worst differences and exits non-zero on any
// beyond the tolerance.
//   B examples, K pairs, V values' ints, T tokens.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <string>
#include <vector>

#include "data/batch.h"
#include "lang/domains.h"
#include "model/synthesizer.h"
#include "run_tool.h"
#include "sampled_batch.h"
#include "test_files.h"

namespace lasynth {
namespace model {
namespace {

struct Variant {
  const char* domain;
  const char* name;
  bool latent, no_partial, operations, self_attention, properties;
  const char* loss_reduction = "mean";
  bool scaled_attention = false;
  const char* grid_encoder = "joint";
};

void PrintTo(const Variant& v, std::ostream* os) { *os << v.domain << " " << v.name; }

DomainOptions small_options(const std::string& domain) {
  if (domain == "karel") return {{"rows", "5"}, {"cols", "6"}, {"max_statements", "4"}};
  return {{"max_statements", "4"}};
}

// Sizes small enough for a fast test yet with every structure present: two layers in every LSTM
// (join_directions over layers), two attention layers in the IO encoder, three in the output
// MLP, and several latent
// executions per program. Parameters in [-0.5, 0.5] rather than the default 0.1: attention
// then prefers some keys, so that an error in it shows in the loss and gradients instead of
// vanishing into near-uniform weights.
ModelOptions tiny(const Variant& v, const Domain& domain) {
  ModelOptions o;
  o.latent_execution = v.latent;
  o.no_partial_execution = v.no_partial;
  o.operation_predictor = v.operations;
  o.decoder_self_attention = v.self_attention;
  o.use_properties = v.properties;
  o.loss_reduction = v.loss_reduction;
  o.scaled_attention = v.scaled_attention;
  o.grid_encoder = v.grid_encoder;
  o.exec_period = 3;
  o.embedding_size = 12;
  o.hidden_size = 8;
  o.mlp_hidden_size = 16;
  o.num_mlp_layers = 2;
  o.num_layers = 2;
  o.num_attention_layers = 2;
  o.conv_channels = 4;
  o.param_init = 0.5;
  set_domain(o, domain, domain.vocabulary().size());
  return o;
}

using Tensors = lasynth::testing::SampledBatch;

// `n` examples from the domain's generator, padded to the longest program.
Tensors batch(const Domain& domain, int n, uint64_t seed) {
  return lasynth::testing::sampled_batch(domain, n, seed);
}

c10::impl::GenericDict new_dict() {
  return c10::impl::GenericDict(c10::StringType::get(), c10::AnyType::get());
}

// The reference's options: the domain by name, its values' layout in the reference's keys.
c10::impl::GenericDict options_dict(const std::string& domain, const ModelOptions& o) {
  c10::impl::GenericDict d = new_dict();
  d.insert("domain", domain);
  for (const auto& [key, value] : std::vector<std::pair<std::string, int64_t>>{
           {"vocab_size", o.vocab_size},
           {"value_range", o.values.range},
           {"output_range", o.values.output_range},
           {"io_size", o.values.length},
           {"grid_rows", o.values.rows},
           {"grid_cols", o.values.cols},
           {"exec_period", o.exec_period},
           {"embedding_size", o.embedding_size},
           {"hidden_size", o.hidden_size},
           {"mlp_hidden_size", o.mlp_hidden_size},
           {"num_mlp_layers", o.num_mlp_layers},
           {"num_layers", o.num_layers},
           {"num_attention_layers", o.num_attention_layers},
           {"conv_channels", o.conv_channels}}) {
    d.insert(key, value);
  }
  for (const auto& [key, value] : std::vector<std::pair<std::string, bool>>{
           {"latent_execution", o.latent_execution},
           {"no_partial_execution", o.no_partial_execution},
           {"operation_predictor", o.operation_predictor},
           {"decoder_self_attention", o.decoder_self_attention},
           {"use_properties", o.use_properties},
           {"scaled_attention", o.scaled_attention}}) {
    d.insert(key, value);
  }
  for (const auto& [key, value] :
       std::vector<std::pair<std::string, double>>{{"dropout", o.dropout},
                                                   {"param_init", o.param_init},
                                                   {"exec_loss_weight", o.exec_loss_weight},
                                                   {"op_loss_weight", o.op_loss_weight}}) {
    d.insert(key, value);
  }
  d.insert("loss_reduction", o.loss_reduction);
  d.insert("grid_encoder", o.grid_encoder);
  return d;
}

class ReferenceParityTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override { torch::set_num_threads(1); }
};

// The C++ loss and gradients on a batch drawn from `batch_seed`, compared by
// reference_parity.py; returns its exit code and output.
lasynth::testing::Result compare_with_reference(const Variant& v, uint64_t batch_seed) {
  const auto domain = make_domain(v.domain, small_options(v.domain));
  const ModelOptions o = tiny(v, *domain);
  const Tensors b = batch(*domain, 5, batch_seed);
  torch::manual_seed(21);
  Synthesizer net(o);
  const LossScale scale = LossScale::of(b.tokens);
  const torch::Tensor loss = net->loss(net(b.tokens, b.inputs, b.outputs), b.tokens, scale);
  loss.backward();

  c10::Dict<std::string, at::Tensor> params, grads;
  for (const auto& p : net->named_parameters()) {
    if (!p.value().grad().defined()) {
      return {1, p.key() + " takes no part in the loss"};
    }
    params.insert(p.key(), p.value().detach().clone());
    grads.insert(p.key(), p.value().grad().clone());
  }
  c10::impl::GenericDict test_case = new_dict();
  test_case.insert("format", std::string("lasynth-reference-parity"));
  test_case.insert("variant", std::string(v.domain) + " " + v.name);
  test_case.insert("options", options_dict(v.domain, o));
  test_case.insert("tokens", b.tokens);
  test_case.insert("inputs", b.inputs);
  test_case.insert("outputs", b.outputs);
  test_case.insert("examples", scale.examples);
  test_case.insert("target_tokens", scale.target_tokens);
  test_case.insert("params", params);
  test_case.insert("loss", loss.item<double>());
  test_case.insert("grads", grads);
  lasynth::testing::ScratchDir dir;
  const std::string path = dir.path("case.pt");
  const std::vector<char> bytes = torch::pickle_save(test_case);
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return lasynth::testing::run_command(
      "/usr/bin/python3 " LASYNTH_SOURCE_DIR "/tests/model/reference_parity.py " + path, true);
}

// reference_parity.py exits with this when the batch has a max-pool near-tie, where gradients
// cannot be compared.
constexpr int kNearTie = 3;

TEST_P(ReferenceParityTest, LossAndGradientsMatchThePyTorchReference) {
  const Variant v = GetParam();
  bool compared = false;
  for (uint64_t seed = 3; seed < 11 && !compared; ++seed) {
    const auto r = compare_with_reference(v, seed);
    std::cout << r.out;  // the measured differences, for ctest -V
    if (r.exit_code == kNearTie) continue;
    EXPECT_EQ(r.exit_code, 0) << r.out;
    compared = true;
  }
  EXPECT_TRUE(compared) << "no batch passed: each one tried differed and had a max-pool near-tie, "
                           "so its differences cannot be told from the tie's (tables above)";
}

INSTANTIATE_TEST_SUITE_P(
    Variants, ReferenceParityTest,
    ::testing::Values(Variant{"c", "LaSynth", true, false, true, true, false},
                      Variant{"c", "NoPartialExecutor", true, true, true, true, false},
                      Variant{"c", "RobustFill", false, false, false, false, false},
                      Variant{"c", "PropertySignatures", false, false, false, false, true},
                      Variant{"c", "LaSynthNoSelfAttention", true, false, true, false, false},
                      Variant{"c", "LaSynthNoOperationPredictor", true, false, false, true, false},
                      Variant{"karel", "LaSynth", true, false, false, true, false},
                      Variant{"karel", "NoPartialExecutor", true, true, false, true, false},
                      Variant{"karel", "RobustFill", false, false, false, false, false},
                      Variant{"karel", "PropertySignatures", false, false, false, false, true},
                      Variant{"c", "LaSynthSummedLoss", true, false, true, true, false, "sum"},
                      Variant{"karel", "LaSynthSummedLoss", true, false, false, true, false, "sum"},
                      Variant{"c", "LaSynthScaledAttention", true, false, true, true, false, "mean",
                              true},
                      Variant{"karel", "LaSynthSeparateGridEncoders", true, false, false, true,
                              false, "mean", false, "separate"}),
    [](const ::testing::TestParamInfo<Variant>& info) {
      return std::string(info.param.domain == std::string("c") ? "C" : "Karel") + info.param.name;
    });

}  // namespace
}  // namespace model
}  // namespace lasynth
