// DESCRIPTION: Model presets: exact parameter counts derived from the shapes (and their rounding to
// the published sizes), and the op shapes expand() produces for LLM prefill/decode, ViT and Swin.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "mpsim/base/error.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;

const Op& find_op(const Trace& t, std::string_view name) {
  for (const auto& op : t.ops)
    if (op.name == name) return op;
  ADD_FAILURE() << "no op " << name;
  static const Op none;
  return none;
}

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "<no error>";
}

// Llama-2-7B (H 4096, I 11008, L 32, V 32000, MHA, untied):
//   embed 32000*4096 = 131,072,000; block = 4*4096^2 (q,k,v,o) 67,108,864 + 3*4096*11008
//   (gate,up,down) 135,266,304 + 2*4096 (RMSNorm gains) = 202,383,360; x32 = 6,476,267,520;
//   final norm 4,096; lm_head 131,072,000. Total 6,738,415,616.
TEST(Presets, Llama2ParameterCountIsExact) {
  EXPECT_EQ(parameter_count(preset("llama2-7b")), 6738415616);
}

// Llama-3-8B (GQA kv 8, I 14336, V 128256): embed 128256*4096 = 525,336,576; block = q 16,777,216
//   + k,v 2*4096*1024 = 8,388,608 + o 16,777,216 + 3*4096*14336 = 176,160,768 + 8,192 =
//   218,112,000; x32 = 6,979,584,000; + final 4,096 + lm_head 525,336,576 = 8,030,261,248.
TEST(Presets, Llama3ParameterCountIsExact) {
  EXPECT_EQ(parameter_count(preset("llama3-8b")), 8030261248);
}

// Mistral-7B: Llama-3-8B blocks with V 32000: 6,979,584,000 + 2*131,072,000 + 4,096.
TEST(Presets, MistralParameterCountIsExact) {
  EXPECT_EQ(parameter_count(preset("mistral-7b")), 7241732096);
}

// OPT-6.7B (H 4096, ffn 16384, V 50272, tied, biases everywhere):
//   embed 50272*4096 = 205,914,112; learned positions (2048+2)*4096 = 8,396,800;
//   block = 4*(4096^2+4096) 67,125,248 + fc1 4096*16384+16384 = 67,125,248
//         + fc2 16384*4096+4096 = 67,112,960 + 2 LayerNorms 4*4096 = 16,384 -> 201,379,840;
//   x32 = 6,444,154,880; final LayerNorm 8,192. Total 6,658,473,984.
TEST(Presets, OptParameterCountIsExact) {
  EXPECT_EQ(parameter_count(preset("opt-6.7b")), 6658473984);
}

// ViT-B/16: patch conv 768*768+768 = 590,592; CLS 768; positions 197*768 = 151,296;
//   block = 2 LN 3,072 + qkv 3*(768^2+768) 1,771,776 + proj 590,592 + fc1 2,362,368 + fc2
//   2,360,064 = 7,087,872; x12 = 85,054,464; final LN 1,536; head 768*1000+1000 = 769,000.
TEST(Presets, VitParameterCountIsExact) { EXPECT_EQ(parameter_count(preset("vit-b16")), 86567656); }

// DeiT-S: patch 384*768+384 = 295,296; CLS 384; positions 197*384 = 75,648; block = 1,536 +
//   443,520 + 147,840 + 591,360 + 590,208 = 1,774,464; x12 = 21,293,568; final LN 768; head
//   385,000. Total 22,050,664. Distilled adds a token 384, a position row 384 and a second head.
TEST(Presets, DeitParameterCountsAreExact) {
  EXPECT_EQ(parameter_count(preset("deit-s")), 22050664);
  EXPECT_EQ(parameter_count(preset("deit-s-distilled")), 22050664 + 384 + 384 + 385000);
}

// Swin-T: block(C, h) = 2 LN 4C + qkv 3C^2+3C + rel. bias 13^2*h + proj C^2+C + fc1 4C^2+4C +
//   fc2 4C^2+C = 12C^2 + 13C + 169h.
//   patch embed 48*96+96 + LN 192 = 4,896
//   stage 1 (96, 3) x2 = 2*112,347 = 224,694; merge LN 768 + 384*192 = 74,496
//   stage 2 (192, 6) x2 = 2*445,878 = 891,756; merge 1,536 + 768*384 = 296,448
//   stage 3 (384, 12) x6 = 6*1,776,492 = 10,658,952; merge 3,072 + 1536*768 = 1,182,720
//   stage 4 (768, 24) x2 = 2*7,091,928 = 14,183,856; final LN 1,536; head 769,000.
TEST(Presets, SwinParameterCountIsExact) { EXPECT_EQ(parameter_count(preset("swin-t")), 28288354); }

TEST(Presets, CountsRoundToThePublishedSizes) {
  auto billions = [](std::string_view n) {
    return std::round(static_cast<double>(parameter_count(preset(n))) / 1e7) / 100.0;
  };
  auto millions = [](std::string_view n, double unit) {
    return std::round(static_cast<double>(parameter_count(preset(n))) / unit) * unit / 1e6;
  };
  EXPECT_DOUBLE_EQ(billions("llama2-7b"), 6.74);
  EXPECT_DOUBLE_EQ(billions("llama3-8b"), 8.03);
  EXPECT_DOUBLE_EQ(billions("mistral-7b"), 7.24);
  EXPECT_DOUBLE_EQ(billions("opt-6.7b"), 6.66);
  EXPECT_NEAR(millions("vit-b16", 1e5), 86.6, 1e-9);
  EXPECT_NEAR(millions("deit-s", 1e4), 22.05, 1e-9);
  EXPECT_NEAR(millions("swin-t", 1e4), 28.29, 1e-9);
}

// Hand counts: tiny-llama (H 64, I 176, L 2, kv 2, hd 16, V 256): 16,384 + 2*(4,096 + 2*2,048 +
// 4,096 + 33,792 + 128) + 64 + 16,384. tiny-opt: 16,384 + 66*64 + 2*(16,640 + 16,640 + 16,448 +
// 256) + 128. tiny-vit: 12,352 + 64 + 17*64 + 2*49,984 + 128 + 650. tiny-swin (16/32 wide,
// windows 4): 240 + 2*3,378 + 2,176 + 2*12,900 + 64 + 330.
TEST(Presets, TinyCountsAreExact) {
  EXPECT_EQ(parameter_count(preset("tiny-llama")), 125248);
  EXPECT_EQ(parameter_count(preset("tiny-opt")), 120704);
  EXPECT_EQ(parameter_count(preset("tiny-vit")), 114250);
  EXPECT_EQ(parameter_count(preset("tiny-swin")), 35366);
}

TEST(Presets, NamesAreListedAndUnknownNamesSuggestTheClosest) {
  const auto names = preset_names();
  EXPECT_EQ(names.size(), 12u);
  for (const auto& n : names) EXPECT_EQ(preset(n).name, n);
  const std::string msg = error_text([] { preset("llama-3-8b"); });
  EXPECT_THAT(msg, HasSubstr("unknown model preset 'llama-3-8b'"));
  EXPECT_THAT(msg, HasSubstr("did you mean 'llama3-8b'?"));
  EXPECT_THAT(msg, HasSubstr("tiny-swin"));
}

TEST(Presets, ShapeErrorsAreAllReported) {
  ModelConfig c = preset("tiny-llama");
  c.kv_heads = 3;
  c.vocab = 0;
  try {
    parameter_count(c);
    FAIL();
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 2u);
    EXPECT_EQ(e.diagnostics()[0].str(), "<model>: vocab: must be >= 1, got 0");
    EXPECT_EQ(e.diagnostics()[1].str(), "<model>: kv_heads: must divide heads (4), got 3");
  }
}

ExpandOptions opts(Phase p, std::int64_t seq, std::int64_t batch = 1) {
  ExpandOptions o;
  o.phase = p;
  o.seq_len = seq;
  o.batch = batch;
  return o;
}

TEST(Expand, Llama3DecodeShapes) {
  const Trace t = expand(preset("llama3-8b"), opts(Phase::kDecode, 100));
  EXPECT_EQ(t.parameters, 8030261248);
  EXPECT_EQ(t.kv_len, 101);
  const Op& k = find_op(t, "blk.attn.k");
  EXPECT_EQ(k.kind, OpKind::kGemm);
  EXPECT_EQ(k.m, 1);
  EXPECT_EQ(k.k, 4096);
  EXPECT_EQ(k.n, 1024);
  EXPECT_EQ(k.repeat, 32);
  EXPECT_TRUE(k.b_is_weight);
  EXPECT_EQ(k.b_tensor, "blk.{L}.attn_k.weight");
  EXPECT_EQ(k.group, "attn");
  EXPECT_EQ(k.phase, Phase::kDecode);
  const Op& qk = find_op(t, "blk.attn.qk");
  EXPECT_EQ(qk.kind, OpKind::kBatchedGemm);
  EXPECT_EQ(qk.batch, 32);
  EXPECT_EQ(qk.b_shared, 4);
  EXPECT_EQ(qk.m, 1);
  EXPECT_EQ(qk.k, 128);
  EXPECT_EQ(qk.n, 101);
  EXPECT_EQ(qk.kv_len, 101);
  EXPECT_FALSE(qk.b_is_weight);
  EXPECT_EQ(qk.b_tensor, "kv.k");
  const Op& pv = find_op(t, "blk.attn.pv");
  EXPECT_EQ(pv.k, 101);
  EXPECT_EQ(pv.n, 128);
  const Op& sm = find_op(t, "blk.attn.softmax");
  EXPECT_EQ(sm.kind, OpKind::kSoftmax);
  EXPECT_EQ(sm.batch, 32);
  EXPECT_EQ(sm.n, 101);
  EXPECT_EQ(find_op(t, "blk.ffn.gate").n, 14336);
  EXPECT_EQ(find_op(t, "blk.ffn.down").k, 14336);
  EXPECT_EQ(find_op(t, "blk.ffn.silu").kind, OpKind::kSilu);
  const Op& head = find_op(t, "head.lm");
  EXPECT_EQ(head.m, 1);
  EXPECT_EQ(head.n, 128256);
  EXPECT_EQ(head.b_tensor, "output.weight");
  EXPECT_EQ(head.group, "head");
  // K's distinct B operands: 32 heads share 8 cached K's.
  EXPECT_DOUBLE_EQ(qk.operand_bytes('b'), 8.0 * 128 * 101 * 2 * 32);
}

// Llama-2-7B decode at 100 cached tokens: weights 32*(4*4096^2 + 3*4096*11008) = 6,476,005,376
// MACs, head 4096*32000 = 131,072,000, attention 32 layers * 2 * 32 heads * 128 * 101.
TEST(Expand, Llama2DecodeMacs) {
  const Trace t = expand(preset("llama2-7b"), opts(Phase::kDecode, 100));
  EXPECT_EQ(t.total_macs(), 6476005376 + 131072000 + 32LL * 2 * 32 * 128 * 101);
}

TEST(Expand, LlmPrefillAndBatch) {
  const Trace t = expand(preset("llama3-8b"), opts(Phase::kPrefill, 512, 4));
  EXPECT_EQ(find_op(t, "blk.attn.q").m, 4 * 512);
  const Op& qk = find_op(t, "blk.attn.qk");
  EXPECT_EQ(qk.batch, 4 * 32);
  EXPECT_EQ(qk.m, 512);
  EXPECT_EQ(qk.n, 512);
  EXPECT_EQ(qk.seq_len, 512);
  // Only the last token of each sequence needs logits.
  EXPECT_EQ(find_op(t, "head.lm").m, 4);
  EXPECT_EQ(find_op(t, "norm.final").m, 4);
}

TEST(Expand, MistralSlidingWindowCapsKvLength) {
  const Trace pre = expand(preset("mistral-7b"), opts(Phase::kPrefill, 8192));
  EXPECT_EQ(pre.kv_len, 4096);
  EXPECT_EQ(find_op(pre, "blk.attn.qk").m, 8192);
  EXPECT_EQ(find_op(pre, "blk.attn.qk").n, 4096);
  EXPECT_EQ(find_op(pre, "blk.attn.pv").k, 4096);
  const Trace dec = expand(preset("mistral-7b"), opts(Phase::kDecode, 10000));
  EXPECT_EQ(find_op(dec, "blk.attn.qk").n, 4096);
  const Trace shortdec = expand(preset("mistral-7b"), opts(Phase::kDecode, 99));
  EXPECT_EQ(find_op(shortdec, "blk.attn.qk").n, 100);
}

TEST(Expand, OptUsesReluFfnBiasesAndTiedHead) {
  const Trace t = expand(preset("opt-6.7b"), opts(Phase::kDecode, 2047));
  EXPECT_EQ(find_op(t, "blk.ffn.up").n, 16384);
  EXPECT_EQ(find_op(t, "blk.ffn.relu").kind, OpKind::kRelu);
  EXPECT_EQ(find_op(t, "blk.attn_norm").kind, OpKind::kLayerNorm);
  EXPECT_EQ(find_op(t, "blk.attn.qk").b_shared, 1);
  EXPECT_EQ(find_op(t, "head.lm").b_tensor, "token_embd.weight");
  for (const auto& op : t.ops) EXPECT_NE(op.name, "blk.ffn.gate");
  EXPECT_THAT(error_text([] { expand(preset("opt-6.7b"), opts(Phase::kDecode, 2048)); }),
              HasSubstr("2049 positions exceed OPT's learned table of 2048"));
}

TEST(Expand, PrefillOf8192TokensIsFastAndSizeIndependent) {
  const ModelConfig& c = preset("llama3-8b");
  const auto start = std::chrono::steady_clock::now();
  constexpr int kRuns = 200;
  std::size_t ops = 0;
  for (int i = 0; i < kRuns; ++i) ops += expand(c, opts(Phase::kPrefill, 8192)).ops.size();
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kRuns;
  EXPECT_EQ(ops / kRuns, expand(c, opts(Phase::kPrefill, 1)).ops.size());
  EXPECT_LT(us, 1000.0) << "expand took " << us << " us";  // typically tens of microseconds
}

TEST(Expand, PhaseAndSizeErrors) {
  EXPECT_THAT(error_text([] { expand(preset("vit-b16"), opts(Phase::kDecode, 1)); }),
              HasSubstr("is an encoder with no decode phase"));
  EXPECT_THAT(error_text([] { expand(preset("llama2-7b"), opts(Phase::kNone, 1)); }),
              HasSubstr("choose prefill or decode"));
  ExpandOptions o = opts(Phase::kPrefill, 0, 0);
  o.weight_format = num::FormatSpec{"mxfq4", {}};
  try {
    expand(preset("tiny-llama"), o);
    FAIL();
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 3u);
    EXPECT_EQ(e.diagnostics()[0].field, "batch");
    EXPECT_EQ(e.diagnostics()[1].field, "seq_len");
    EXPECT_THAT(e.diagnostics()[2].message, HasSubstr("mxfq4"));
  }
}

// ViT-B/16: patch 196*768*768; per block qkv 197*768*2304, QK and PV 12*197*197*64 each, proj
// 197*768^2, fc1/fc2 197*768*3072 each; head 768*1000. The 17.56 G total is the published figure.
TEST(Expand, VitShapesAndMacs) {
  const Trace t = expand(preset("vit-b16"), opts(Phase::kNone, 0));
  const Op& patch = find_op(t, "patch.embed");
  EXPECT_EQ(patch.m, 196);
  EXPECT_EQ(patch.k, 768);
  EXPECT_EQ(patch.n, 768);
  EXPECT_EQ(patch.group, "patch");
  EXPECT_EQ(find_op(t, "blk.attn.qkv").n, 2304);
  const Op& qk = find_op(t, "blk.attn.qk");
  EXPECT_EQ(qk.batch, 12);
  EXPECT_EQ(qk.m, 197);
  EXPECT_EQ(qk.n, 197);
  EXPECT_EQ(qk.k, 64);
  EXPECT_EQ(find_op(t, "blk.ffn.gelu").kind, OpKind::kGelu);
  EXPECT_EQ(find_op(t, "head.cls").m, 1);
  EXPECT_EQ(find_op(t, "head.cls").n, 1000);
  const std::int64_t block =
      197LL * 768 * 2304 + 2 * 12LL * 197 * 197 * 64 + 197LL * 768 * 768 + 2 * 197LL * 768 * 3072;
  EXPECT_EQ(t.total_macs(), 196LL * 768 * 768 + 12 * block + 768 * 1000);
  EXPECT_EQ(t.total_macs(), 17563828224);
  const Trace d = expand(preset("deit-s-distilled"), opts(Phase::kNone, 0, 2));
  EXPECT_EQ(find_op(d, "blk.attn.qk").m, 198);
  EXPECT_EQ(find_op(d, "blk.attn.qk").batch, 12);
  EXPECT_EQ(find_op(d, "head.dist").m, 2);
}

TEST(Expand, SwinWindowAttentionPerStage) {
  const Trace t = expand(preset("swin-t"), opts(Phase::kNone, 0));
  EXPECT_EQ(find_op(t, "patch.embed").m, 3136);
  EXPECT_EQ(find_op(t, "patch.embed").k, 48);
  const std::int64_t windows[] = {64, 16, 4, 1}, heads[] = {3, 6, 12, 24}, depth[] = {2, 2, 6, 2};
  for (int s = 0; s < 4; ++s) {
    const std::string p = fmt::format("s{}.blk.", s + 1);
    const Op& qk = find_op(t, p + "attn.qk");
    EXPECT_EQ(qk.batch, windows[s] * heads[s]) << p;
    EXPECT_EQ(qk.m, 49);
    EXPECT_EQ(qk.n, 49);
    EXPECT_EQ(qk.k, 32);
    EXPECT_EQ(qk.repeat, depth[s]);
    const Op& qkv = find_op(t, p + "attn.qkv");
    EXPECT_EQ(qkv.m, windows[s] * 49);
    EXPECT_EQ(qkv.n, 3 * (96 << s));
    EXPECT_EQ(find_op(t, p + "ffn.up").n, 4 * (96 << s));
  }
  const Op& merge = find_op(t, "s1.merge.reduction");
  EXPECT_EQ(merge.m, 784);
  EXPECT_EQ(merge.k, 384);
  EXPECT_EQ(merge.n, 192);
  EXPECT_EQ(find_op(t, "s3.merge.reduction").n, 768);
  EXPECT_EQ(find_op(t, "head.cls").k, 768);
  // Published Swin-T cost: 4.5 GFLOPs (multiply-adds); the exact value pins the shapes above.
  EXPECT_NEAR(static_cast<double>(t.total_macs()) / 1e9, 4.5, 0.1);
  EXPECT_EQ(t.total_macs(), 4490566656);
}

TEST(Expand, TinySwinShrinksNothingAndPadsNothing) {
  const Trace t = expand(preset("tiny-swin"), opts(Phase::kNone, 0, 2));
  EXPECT_EQ(find_op(t, "s1.blk.attn.qk").batch, 2 * 16 * 2);
  EXPECT_EQ(find_op(t, "s1.blk.attn.qk").m, 16);
  EXPECT_EQ(find_op(t, "s2.blk.attn.qk").batch, 2 * 4 * 4);
  EXPECT_EQ(find_op(t, "head.cls").m, 2);
}

}  // namespace
}  // namespace mpsim::workload
