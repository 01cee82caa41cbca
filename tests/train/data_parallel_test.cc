// DataParallel over in-process ranks (dist/fake_communicator.h: each rank a thread with its own
// replica), without mpirun, in seconds: N ranks x batch B train like 1 rank x batch N*B, every
// replica starts from rank 0's parameters and buffers, a rank that runs another config is
// refused by name, and --grad_accum's unsynchronised micro-steps stay local.
// SGD, not Adam: Adam divides by the root of tiny second moments and turns rounding differences
// in near-zero gradients into visible ones (DESIGN.md).
//   B examples per rank, N ranks, T steps of a sequence, F features.
#include "train/data_parallel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "data/batch.h"
#include "fake_communicator.h"
#include "lang/domains.h"
#include "model/synthesizer.h"

namespace lasynth {
namespace train {
namespace {

using dist::fake::FakeCommunicator;

// Float32 sums of the same gradients in another order (per rank, then over ranks, instead of
// over the whole batch at once) differ by a few ulps per step. Measured after the steps below:
// parameters at most 9e-8 apart (up to 3e-5 relative on entries near zero, hence the floor); a
// gradient summed once too often or missing one rank's part moves them by 1e-2 or more.
constexpr double kRtol = 1e-5, kAtol = 1e-6;

// An embedding layer, an LSTM and a head, with a buffer that rank 0 must broadcast too.
struct TinyNetImpl : torch::nn::Module {
  TinyNetImpl()
      : embed(register_module("embed", torch::nn::Linear(3, 8))),
        lstm(register_module("lstm",
                             torch::nn::LSTM(torch::nn::LSTMOptions(8, 6).batch_first(true)))),
        head(register_module("head", torch::nn::Linear(6, 2))),
        scale(register_buffer("scale", torch::rand({2}) + 0.5)) {}
  // x [B, T, F=3] -> [B, 2]
  torch::Tensor forward(const torch::Tensor& x) {
    const torch::Tensor h = std::get<0>(lstm->forward(torch::tanh(embed(x))));  // [B, T, 6]
    return head(h.select(1, -1)) * scale;
  }
  torch::nn::Linear embed;
  torch::nn::LSTM lstm;
  torch::nn::Linear head;
  torch::Tensor scale;
};
TORCH_MODULE(TinyNet);

// Examples of every step, the global batch: x [N*B, T, F], y [N*B, 2].
struct Data {
  std::vector<torch::Tensor> x, y;
};

Data make_data(int steps, int64_t examples) {
  torch::manual_seed(99);
  Data d;
  for (int s = 0; s < steps; ++s) {
    d.x.push_back(torch::randn({examples, 5, 3}));
    d.y.push_back(torch::randn({examples, 2}));
  }
  return d;
}

// Summed over the examples of [begin, end), divided by the global batch: the ranks' gradients
// then add up to the global batch's.
torch::Tensor tiny_loss(TinyNet& net, const Data& d, int step, int64_t begin, int64_t end) {
  const torch::Tensor x = d.x[step].slice(0, begin, end), y = d.y[step].slice(0, begin, end);
  return (net(x) - y).pow(2).sum() / static_cast<double>(d.x[step].size(0));
}

// One replica per rank, each from its own seed, so that only the broadcast can make them equal.
template <typename Net, typename Make>
std::vector<Net> replicas(int ranks, Make make) {
  std::vector<Net> nets;
  for (int r = 0; r < ranks; ++r) {
    torch::manual_seed(1000 + r);
    nets.push_back(make());
  }
  return nets;
}

// Trains nets[r] on rank r for `steps` SGD steps; loss(net, rank, step) is the rank's part of
// the step's loss, or an undefined tensor for a rank without examples. Returns what each rank
// threw.
template <typename Net, typename Loss>
std::vector<std::string> train_data_parallel(std::vector<Net>& nets, int steps, double lr,
                                             Loss loss) {
  return dist::fake::run_ranks(static_cast<int>(nets.size()), [&](FakeCommunicator& comm) {
    Net& net = nets[static_cast<size_t>(comm.rank())];
    DataParallel data_parallel(comm, *net, "signature");
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr));
    for (int s = 0; s < steps; ++s) {
      sgd.zero_grad();
      const torch::Tensor l = loss(net, comm.rank(), s);
      if (l.defined()) l.backward();
      data_parallel.finish();
      sgd.step();
    }
  });
}

// The same steps in one process on the whole batch, without DataParallel.
template <typename Net, typename Loss>
void train_alone(Net& net, int steps, double lr, Loss loss) {
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr));
  for (int s = 0; s < steps; ++s) {
    sgd.zero_grad();
    loss(net, s).backward();
    sgd.step();
  }
}

void expect_close(torch::nn::Module& a, torch::nn::Module& b, const std::string& what) {
  const auto pb = b.named_parameters();
  for (const auto& p : a.named_parameters()) {
    const torch::Tensor& q = pb[p.key()];
    EXPECT_TRUE(torch::allclose(p.value(), q, kRtol, kAtol))
        << what << ": " << p.key() << " differs by up to "
        << (p.value() - q).abs().max().item<float>();
  }
}

class DataParallelTest : public ::testing::Test {
 protected:
  // Ranks x threads <= cores; each rank's autograd runs in its own thread.
  void SetUp() override { torch::set_num_threads(1); }
};

TEST_F(DataParallelTest, EveryReplicaStartsFromRankZerosParametersAndBuffers) {
  const int ranks = 3;
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  std::vector<torch::Tensor> rank0;
  for (const auto& t : nets[0]->parameters()) rank0.push_back(t.clone());
  for (const auto& t : nets[0]->buffers()) rank0.push_back(t.clone());
  ASSERT_FALSE(torch::equal(nets[1]->embed->weight, nets[0]->embed->weight));
  ASSERT_FALSE(torch::equal(nets[2]->scale, nets[0]->scale));
  const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    DataParallel data_parallel(comm, *nets[static_cast<size_t>(comm.rank())], "signature");
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  for (int r = 0; r < ranks; ++r) {
    std::vector<torch::Tensor> mine = nets[r]->parameters();
    for (const auto& t : nets[r]->buffers()) mine.push_back(t);
    ASSERT_EQ(mine.size(), rank0.size());
    for (size_t i = 0; i < mine.size(); ++i) {
      EXPECT_TRUE(torch::equal(mine[i], rank0[i])) << "rank " << r << " tensor " << i;
    }
  }
}

TEST_F(DataParallelTest, AModelTrainsOnAloneOnceItsDataParallelIsGone) {
  const Data d = make_data(2, 4);
  auto nets = replicas<TinyNet>(2, [] { return TinyNet(); });
  const auto errors = dist::fake::run_ranks(2, [&](FakeCommunicator& comm) {
    DataParallel data_parallel(comm, *nets[static_cast<size_t>(comm.rank())], "signature");
  });
  ASSERT_EQ(errors, std::vector<std::string>(2));
  // Its hooks are gone with it: backward neither calls into freed memory nor needs the ranks.
  TinyNet& net = nets[0];
  tiny_loss(net, d, 0, 0, 4).backward();
  TinyNet fresh;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < fresh->parameters().size(); ++i) {
    fresh->parameters()[i].copy_(net->parameters()[i]);
  }
  for (size_t i = 0; i < fresh->buffers().size(); ++i) fresh->buffers()[i].copy_(net->buffers()[i]);
  {
    torch::AutoGradMode grad(true);
    tiny_loss(fresh, d, 0, 0, 4).backward();
  }
  for (size_t i = 0; i < net->parameters().size(); ++i) {
    EXPECT_TRUE(torch::equal(net->parameters()[i].grad(), fresh->parameters()[i].grad())) << i;
  }
}

TEST_F(DataParallelTest, NRanksTimesBatchBTrainLikeOneRankOnTheGlobalBatch) {
  const int ranks = 3, steps = 3;
  const int64_t b = 2;
  const double lr = 0.5;
  const Data d = make_data(steps, ranks * b);
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  torch::manual_seed(1000);  // rank 0's seed: the same initial model
  TinyNet alone;
  const auto errors = train_data_parallel(nets, steps, lr, [&](TinyNet& net, int rank, int s) {
    return tiny_loss(net, d, s, rank * b, (rank + 1) * b);
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr,
              [&](TinyNet& net, int s) { return tiny_loss(net, d, s, 0, ranks * b); });
  // Training moved the parameters far more than the tolerance: the comparison can fail.
  torch::manual_seed(1000);
  TinyNet initial;
  EXPECT_GT((initial->head->weight - alone->head->weight).abs().max().item<float>(), 100 * kAtol);
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

// DDP's gradient_as_bucket_view: each .grad is its bucket slot from the start and stays so
// (backward accumulates into it, the all-reduce sums in it), and training is bit for bit that of
// copying each gradient into its slot and back.
TEST_F(DataParallelTest, GradientsAreViewsOfTheBucketsAndTrainBitForBitLikeCopies) {
  const int ranks = 2, steps = 3;
  const int64_t b = 2;
  const Data d = make_data(steps, ranks * b);
  std::vector<std::vector<TinyNet>> trained;
  for (const bool views : {true, false}) {
    auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
    std::vector<std::string> wrong(ranks);
    const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
      const int rank = comm.rank();
      TinyNet& net = nets[static_cast<size_t>(rank)];
      DataParallel data_parallel(comm, *net, "signature", {}, views);
      if (data_parallel.gradients_are_views() != views) wrong[rank] += "views not as asked; ";
      auto aliased = [&] {
        for (size_t i = 0; i < net->parameters().size(); ++i) {
          const torch::Tensor& grad = net->parameters()[i].grad();
          if (!grad.defined() || grad.data_ptr() != data_parallel.reducer().slot(i)) return false;
        }
        return true;
      };
      torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.5));
      for (int s = 0; s < steps; ++s) {
        data_parallel.zero_grad();
        tiny_loss(net, d, s, rank * b, (rank + 1) * b).backward();
        data_parallel.finish();
        if (aliased() != views) wrong[rank] += "step " + std::to_string(s) + ": aliasing; ";
        sgd.step();
      }
    });
    ASSERT_EQ(errors, std::vector<std::string>(ranks));
    EXPECT_EQ(wrong, std::vector<std::string>(ranks)) << "views " << views;
    trained.push_back(nets);
  }
  for (int r = 0; r < ranks; ++r) {
    for (size_t i = 0; i < trained[0][r]->parameters().size(); ++i) {
      EXPECT_TRUE(torch::equal(trained[0][r]->parameters()[i], trained[1][r]->parameters()[i]))
          << "rank " << r << " parameter " << i;
    }
  }
}

// An optimizer whose zero_grad drops the gradients (LibTorch 2's default) leaves autograd to
// allocate a new .grad: its values go into the slot, .grad points there again, and the steps are
// still the global batch's.
TEST_F(DataParallelTest, GradientsDroppedBetweenStepsGoBackIntoTheirBuckets) {
  const int ranks = 2, steps = 3;
  const int64_t b = 2;
  const double lr = 0.5;
  const Data d = make_data(steps, ranks * b);
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  torch::manual_seed(1000);
  TinyNet alone;
  std::vector<std::string> wrong(ranks);
  const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const int rank = comm.rank();
    TinyNet& net = nets[static_cast<size_t>(rank)];
    DataParallel data_parallel(comm, *net, "signature");
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr));
    for (int s = 0; s < steps; ++s) {
      for (torch::Tensor& p : net->parameters()) p.mutable_grad() = torch::Tensor();
      tiny_loss(net, d, s, rank * b, (rank + 1) * b).backward();
      data_parallel.finish();
      for (size_t i = 0; i < net->parameters().size(); ++i) {
        if (net->parameters()[i].grad().data_ptr() != data_parallel.reducer().slot(i)) {
          wrong[rank] += "parameter " + std::to_string(i) + " not in its slot; ";
        }
      }
      sgd.step();
    }
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  EXPECT_EQ(wrong, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr,
              [&](TinyNet& net, int s) { return tiny_loss(net, d, s, 0, ranks * b); });
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

// A rank whose share of the global batch is empty still joins every all-reduce (finish() without
// backward): the others' gradients are the global batch's.
TEST_F(DataParallelTest, ARankWithoutExamplesStillJoinsAndContributesNothing) {
  const int ranks = 2, steps = 2;
  const double lr = 0.5;
  const Data d = make_data(steps, 3);
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  torch::manual_seed(1000);
  TinyNet alone;
  const auto errors = train_data_parallel(nets, steps, lr, [&](TinyNet& net, int rank, int s) {
    return rank == 0 ? tiny_loss(net, d, s, 0, 3) : torch::Tensor();
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr, [&](TinyNet& net, int s) { return tiny_loss(net, d, s, 0, 3); });
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

TEST_F(DataParallelTest, AConfigThatDiffersFromRankZerosIsRefusedNamingTheRank) {
  const int ranks = 3;
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const std::string signature =
        std::string("model: lasynth\nlr: ") + (comm.rank() == 2 ? "0.2" : "0.1") + "\n";
    DataParallel data_parallel(comm, *nets[static_cast<size_t>(comm.rank())], signature);
  });
  // Every rank sees the difference, so none is left waiting in the broadcast that follows.
  for (int r = 0; r < ranks; ++r) {
    EXPECT_NE(errors[r].find("rank 2 runs another model or config than rank 0"), std::string::npos)
        << "rank " << r << ": " << errors[r];
    EXPECT_NE(errors[r].find("line 2: rank 0 has 'lr: 0.1', this rank 'lr: 0.2'"),
              std::string::npos)
        << errors[r];
  }
}

TEST_F(DataParallelTest, AModelOfOtherShapesIsRefusedNamingTheRankAndParameter) {
  torch::manual_seed(1);
  torch::nn::Linear a(3, 4), b(3, 5);
  const auto errors = dist::fake::run_ranks(2, [&](FakeCommunicator& comm) {
    torch::nn::Module& net = comm.rank() == 0 ? static_cast<torch::nn::Module&>(*a) : *b;
    DataParallel data_parallel(comm, net, "signature");
  });
  for (int r = 0; r < 2; ++r) {
    EXPECT_NE(errors[r].find("rank 1 runs another model"), std::string::npos) << errors[r];
    EXPECT_NE(errors[r].find("rank 0 has 'weight 4x3', this rank 'weight 5x3'"), std::string::npos)
        << errors[r];
  }
}

// --grad_accum 2: the first micro-step's backward (set_sync(false)) neither communicates nor
// brings in other ranks' gradients; the second's is reduced together with it, so each step is
// the global batch's over all ranks and micro-steps.
TEST_F(DataParallelTest, MicroStepsWithoutSyncAccumulateLocally) {
  const int ranks = 2, steps = 2, micro = 2;
  const int64_t b = 2;
  const double lr = 0.5;
  const Data d = make_data(steps, ranks * micro * b);
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  torch::manual_seed(1000);
  TinyNet alone;
  std::vector<std::string> local_only(ranks);
  const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const int rank = comm.rank();
    TinyNet& net = nets[static_cast<size_t>(rank)];
    DataParallel data_parallel(comm, *net, "signature");
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr));
    for (int s = 0; s < steps; ++s) {
      sgd.zero_grad();
      for (int m = 0; m < micro; ++m) {
        const int64_t begin = (rank * micro + m) * b;
        data_parallel.set_sync(m + 1 == micro);
        const int64_t before = comm.collectives_started();
        std::vector<torch::Tensor> expected;  // this micro-batch's own gradient
        if (m == 0) {
          expected =
              torch::autograd::grad({tiny_loss(net, d, s, begin, begin + b)}, net->parameters());
        }
        tiny_loss(net, d, s, begin, begin + b).backward();
        if (m == 0) {
          if (comm.collectives_started() != before) local_only[rank] += "communicated; ";
          for (size_t i = 0; i < expected.size(); ++i) {
            if (!torch::allclose(net->parameters()[i].grad(), expected[i], kRtol, kAtol)) {
              local_only[rank] += "gradient " + std::to_string(i) + " is not the local one; ";
            }
          }
        }
      }
      data_parallel.finish();
      sgd.step();
    }
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  EXPECT_EQ(local_only, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr,
              [&](TinyNet& net, int s) { return tiny_loss(net, d, s, 0, ranks * micro * b); });
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

// --grad_accum across an epoch's end: rank 1's last micro-batch is empty (a short last window),
// so its backward never runs in the step that communicates. Its first micro-batch's gradients
// must still join the sum: the step equals one process on all the examples at once.
TEST_F(DataParallelTest, AnEmptyLastMicroBatchKeepsTheEarlierMicroStepsGradients) {
  const int ranks = 2, steps = 2;
  const int64_t b = 2;
  const double lr = 0.5;
  const int64_t examples = 3 * b;  // rank 0: two micro-batches; rank 1: one, then none
  const Data d = make_data(steps, examples);
  auto nets = replicas<TinyNet>(ranks, [] { return TinyNet(); });
  torch::manual_seed(1000);
  TinyNet alone;
  const auto errors = dist::fake::run_ranks(ranks, [&](FakeCommunicator& comm) {
    const int rank = comm.rank();
    TinyNet& net = nets[static_cast<size_t>(rank)];
    DataParallel data_parallel(comm, *net, "signature");
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(lr));
    for (int s = 0; s < steps; ++s) {
      sgd.zero_grad();
      data_parallel.set_sync(false);
      tiny_loss(net, d, s, rank * b, rank * b + b).backward();
      data_parallel.set_sync(true);
      if (rank == 0) tiny_loss(net, d, s, 2 * b, 3 * b).backward();
      data_parallel.finish();
      sgd.step();
    }
  });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr,
              [&](TinyNet& net, int s) { return tiny_loss(net, d, s, 0, examples); });
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

// The real model at tiny sizes: full LaSynth (latent executor, operation predictor,
// self-attention) on restricted C, each rank's batch padded to its own longest program.
struct Tensors {
  torch::Tensor tokens, inputs, outputs;
};

std::vector<data::StoredExample> c_examples(const Domain& domain, int n) {
  const auto sampler = domain.make_sampler(5);
  std::vector<data::StoredExample> examples;
  for (int i = 0; i < n; ++i) {
    const Example ex = sampler->next();
    std::vector<IoPair> spec(ex.io.begin(), ex.io.begin() + domain.num_spec());
    examples.push_back({domain.vocabulary().encode(ex.tokens), spec});
  }
  return examples;
}

Tensors batch_of(const Domain& domain, const std::vector<data::StoredExample>& all, int64_t begin,
                 int64_t end) {
  const std::vector<data::StoredExample> part(all.begin() + begin, all.begin() + end);
  std::vector<int64_t> indices(part.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  int64_t v = 1;
  for (int64_t s : domain.value_shape()) v *= s;
  data::Batch b = data::make_batch(part, indices, domain.num_spec(), static_cast<int>(v),
                                   domain.fixed_prefix_ids());
  const int64_t k = b.io_pairs;
  return {torch::from_blob(b.tokens.data(), {b.size, b.max_len}, torch::kInt32).clone(),
          torch::from_blob(b.inputs.data(), {b.size, k, v}, torch::kInt32).clone(),
          torch::from_blob(b.outputs.data(), {b.size, k, v}, torch::kInt32).clone()};
}

TEST_F(DataParallelTest, SynthesizerOnTwoRanksTrainsLikeOneRankOnTheGlobalBatch) {
  const int ranks = 2, steps = 3;
  const int64_t b = 3;
  const double lr = 0.2;
  const auto domain = make_domain("c", {{"max_statements", "3"}});
  model::ModelOptions o;
  o.latent_execution = o.operation_predictor = o.decoder_self_attention = true;
  o.exec_period = 3;
  o.embedding_size = 12;
  o.hidden_size = 8;
  o.mlp_hidden_size = 16;
  o.num_layers = 1;
  o.num_attention_layers = 1;
  model::set_domain(o, *domain, domain->vocabulary().size());
  const auto examples = c_examples(*domain, ranks * b);
  std::vector<Tensors> parts;
  for (int r = 0; r < ranks; ++r) parts.push_back(batch_of(*domain, examples, r * b, (r + 1) * b));
  const Tensors whole = batch_of(*domain, examples, 0, ranks * b);
  ASSERT_NE(parts[0].tokens.size(1), parts[1].tokens.size(1)) << "pick examples padded unequally";
  auto loss = [&](model::Synthesizer& net, const Tensors& t) {
    return net->loss(net(t.tokens, t.inputs, t.outputs), t.tokens,
                     model::LossScale::of(whole.tokens));
  };

  auto nets = replicas<model::Synthesizer>(ranks, [&] { return model::Synthesizer(o); });
  torch::manual_seed(1000);
  model::Synthesizer alone(o);
  const auto errors = train_data_parallel(
      nets, steps, lr,
      [&](model::Synthesizer& net, int rank, int) { return loss(net, parts[rank]); });
  ASSERT_EQ(errors, std::vector<std::string>(ranks));
  train_alone(alone, steps, lr, [&](model::Synthesizer& net, int) { return loss(net, whole); });
  for (int r = 0; r < ranks; ++r) expect_close(*nets[r], *alone, "rank " + std::to_string(r));
}

}  // namespace
}  // namespace train
}  // namespace lasynth
