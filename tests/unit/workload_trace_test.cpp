// DESCRIPTION: Workload trace: op measures, YAML schema parsing with every validation error (and
// its line:column), YAML round trips, SCALE-Sim CSV import/export and file dispatch.
// SPDX-License-Identifier: Apache-2.0
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mpsim/base/error.h"
#include "mpsim/workload/presets.h"
#include "mpsim/workload/trace_io.h"

namespace mpsim::workload {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<std::string> diagnostics_of(std::string_view yaml) {
  try {
    parse_trace_yaml(yaml, "t.yaml");
  } catch (const ConfigError& e) {
    std::vector<std::string> out;
    for (const auto& d : e.diagnostics()) out.push_back(d.str());
    return out;
  }
  return {"<no error>"};
}

TEST(TraceNames, KindsAndPhasesRoundTrip) {
  for (const auto& n : op_kind_names()) EXPECT_EQ(to_string(*parse_op_kind(n)), n);
  EXPECT_EQ(op_kind_names().size(), 9u);
  EXPECT_EQ(parse_op_kind("batched_gemm"), OpKind::kBatchedGemm);
  EXPECT_EQ(parse_op_kind("rmsnorm"), OpKind::kRmsNorm);
  EXPECT_FALSE(parse_op_kind("GEMM"));
  EXPECT_EQ(to_string(Phase::kDecode), "decode");
  EXPECT_EQ(parse_phase("prefill"), Phase::kPrefill);
  EXPECT_EQ(parse_phase("none"), Phase::kNone);
  EXPECT_FALSE(parse_phase(""));
}

TEST(Op, MacsElementsAndBytes) {
  Op op;
  op.kind = OpKind::kBatchedGemm;
  op.m = 1;
  op.n = 100;
  op.k = 128;
  op.batch = 32;
  op.b_shared = 4;
  op.repeat = 2;
  EXPECT_EQ(op.macs(), 32 * 100 * 128 * 2);
  EXPECT_EQ(op.elements(), 32 * 100 * 2);
  EXPECT_DOUBLE_EQ(op.operand_bytes('a'), 32.0 * 128 * 2 * 2);       // fp16
  EXPECT_DOUBLE_EQ(op.operand_bytes('b'), 8.0 * 128 * 100 * 2 * 2);  // 8 distinct K's
  EXPECT_DOUBLE_EQ(op.operand_bytes('o'), 32.0 * 100 * 2 * 2);
  op.b_format = num::FormatSpec::parse("mxfp4");  // 4 + 8/32 bits
  EXPECT_DOUBLE_EQ(op.operand_bytes('b'), 8.0 * 128 * 100 * 4.25 / 8 * 2);
  op.out_format = num::FormatSpec{"fp32", {}};
  EXPECT_DOUBLE_EQ(op.operand_bytes('o'), 32.0 * 100 * 4 * 2);

  Op norm;
  norm.kind = OpKind::kRmsNorm;
  norm.m = 3;
  norm.n = 64;
  norm.k = 99;  // ignored by non-GEMM ops
  EXPECT_EQ(norm.macs(), 0);
  EXPECT_EQ(norm.elements(), 192);
  EXPECT_DOUBLE_EQ(norm.operand_bytes('b'), 0.0);
  norm.b_tensor = "blk.{L}.attn_norm.weight";
  norm.b_is_weight = true;
  EXPECT_DOUBLE_EQ(norm.operand_bytes('b'), 64.0 * 2);
  norm.b_is_weight = false;
  EXPECT_DOUBLE_EQ(norm.operand_bytes('b'), 192.0 * 2);
  EXPECT_DOUBLE_EQ(norm.operand_bytes('a'), 192.0 * 2);
}

TEST(Format, WideFormatsAndRegistryFormats) {
  EXPECT_DOUBLE_EQ(format_bits(num::FormatSpec{"fp32", {}}), 32.0);
  EXPECT_DOUBLE_EQ(format_bits(num::FormatSpec{"int32", {}}), 32.0);
  EXPECT_DOUBLE_EQ(format_bits(num::FormatSpec::parse("q4_0")), 4.5);
  EXPECT_NO_THROW(validate_format(num::FormatSpec::parse("mxfp4/b16/rna")));
  EXPECT_THROW(validate_format(num::FormatSpec::parse("fp32/b32")), ConfigError);
  EXPECT_THROW(validate_format(num::FormatSpec{"fp12", {}}), ConfigError);
}

constexpr const char* kExample = R"(# decode step, weights in MXFP4
format_version: 1
model: llama2-7b
phase: decode
batch: 1
seq_len: 2047
kv_len: 2048
parameters: 6738415616
defaults: {a_format: fp8_e4m3, b_format: mxfp4, acc_format: fp32, out_format: fp8_e4m3}
ops:
  - {name: blk.attn.qkv, kind: gemm, m: 1, n: 12288, k: 4096, repeat: 32, b_is_weight: true,
     b_tensor: "blk.{L}.attn_qkv.weight", group: attn}
  - name: blk.attn.qk
    kind: batched_gemm
    batch: 32
    m: 1
    n: 2048
    k: 128
    kv_len: 2048
    b_format: {name: fp8_e4m3, rounding: rne}
    repeat: 32
  - {name: blk.attn.smax, kind: softmax, m: 1, n: 2048, batch: 32, repeat: 32, phase: prefill}
  - {name: head.lm, kind: gemm, m: 1, n: 32000, k: 4096, b_format: "int4_g128",
     acc_format: int32}
)";

TEST(TraceYaml, ParsesTheDocumentedExample) {
  const Trace t = parse_trace_yaml(kExample, "ex.yaml");
  EXPECT_EQ(t.model, "llama2-7b");
  EXPECT_EQ(t.phase, Phase::kDecode);
  EXPECT_EQ(t.seq_len, 2047);
  EXPECT_EQ(t.kv_len, 2048);
  EXPECT_EQ(t.parameters, 6738415616);
  ASSERT_EQ(t.ops.size(), 4u);
  const Op& qkv = t.ops[0];
  EXPECT_EQ(qkv.n, 12288);
  EXPECT_EQ(qkv.repeat, 32);
  EXPECT_TRUE(qkv.b_is_weight);
  EXPECT_EQ(qkv.b_tensor, "blk.{L}.attn_qkv.weight");
  EXPECT_EQ(qkv.a_format.str(), "fp8_e4m3");
  EXPECT_EQ(qkv.b_format.str(), "mxfp4");
  EXPECT_EQ(qkv.phase, Phase::kDecode);  // from the trace's phase
  EXPECT_EQ(t.ops[1].b_format.str(), "fp8_e4m3/rne");
  EXPECT_EQ(t.ops[1].batch, 32);
  EXPECT_EQ(t.ops[2].kind, OpKind::kSoftmax);
  EXPECT_EQ(t.ops[2].phase, Phase::kPrefill);
  EXPECT_EQ(t.ops[3].b_format.str(), "int4_g128");
  EXPECT_EQ(t.ops[3].acc_format.str(), "int32");
  EXPECT_EQ(t.total_macs(), 32LL * 12288 * 4096 + 32LL * 32 * 2048 * 128 + 32000LL * 4096);
}

TEST(TraceYaml, DefaultsPhaseOverridesTheTracePhase) {
  const Trace t = parse_trace_yaml(
      "format_version: 1\nphase: decode\ndefaults: {phase: prefill}\n"
      "ops: [{name: a, kind: relu, m: 2, n: 3}]\n",
      "p.yaml");
  EXPECT_EQ(t.ops[0].phase, Phase::kPrefill);
  EXPECT_EQ(t.ops[0].k, 1);
  EXPECT_EQ(t.ops[0].a_format.str(), "fp16");
  EXPECT_EQ(t.ops[0].acc_format.str(), "fp32");
}

TEST(TraceYaml, RoundTripsExpandedModels) {
  for (const char* name : {"llama3-8b", "opt-6.7b", "tiny-llama"}) {
    ExpandOptions o;
    o.phase = Phase::kDecode;
    o.seq_len = 77;
    o.batch = 3;
    o.weight_format = num::FormatSpec::parse("mxfp4/b16");
    o.act_format = num::FormatSpec::parse("fp8_e4m3");
    Trace t = expand(preset(name), o);
    t.ops[1].b_format = num::FormatSpec::parse("int4_g128");  // a per-op exception
    t.ops[2].phase = Phase::kPrefill;
    const std::string yaml = trace_to_yaml(t);
    EXPECT_EQ(parse_trace_yaml(yaml, "rt.yaml"), t) << yaml;
  }
  for (const char* name : {"vit-b16", "swin-t", "deit-s-distilled"}) {
    const Trace t = expand(preset(name), ExpandOptions{});
    EXPECT_EQ(parse_trace_yaml(trace_to_yaml(t), "rt.yaml"), t) << name;
  }
  Trace empty;
  empty.model = "nothing: here";  // needs quoting
  EXPECT_EQ(parse_trace_yaml(trace_to_yaml(empty), "rt.yaml"), empty);
  const Trace example = parse_trace_yaml(kExample, "ex.yaml");
  EXPECT_EQ(parse_trace_yaml(trace_to_yaml(example), "rt.yaml"), example);
}

TEST(TraceYaml, WriterUsesDefaultsAndRepeat) {
  ExpandOptions o;
  o.phase = Phase::kDecode;
  o.seq_len = 10;
  const std::string yaml = trace_to_yaml(expand(preset("llama2-7b"), o));
  EXPECT_THAT(yaml, HasSubstr("format_version: 1\n"));
  EXPECT_THAT(yaml, HasSubstr("defaults: {a_format: fp16, b_format: fp16, out_format: fp16, "
                              "acc_format: fp32, phase: decode}"));
  EXPECT_THAT(yaml, HasSubstr("name: blk.attn.q, kind: gemm, m: 1, n: 4096, k: 4096"));
  EXPECT_THAT(yaml, HasSubstr("repeat: 32"));
}

TEST(TraceYaml, ReportsEveryProblemWithPosition) {
  const auto d = diagnostics_of(R"(format_version: 2
model: m
phase: decod
batch: 0
defaults: {a_format: fp8_e4m3, b_fromat: mxfp4}
ops:
  - {name: a, kind: gemm, m: 4, n: 8, k: 16}
  - {name: a, kind: gem, m: 0, n: 8}
  - name: c
    kind: softmax
    m: 4
    n: x
    k: 3
    repeet: 2
    a_format: mxfq4
    b_format: {name: mxfp4, block: 0}
    out_format: int8/b32
    acc_format: fp32/rne
  - {name: d, kind: batched_gemm, m: 2, n: 2, k: 2, batch: 6, b_shared: 4}
  - {kind: gemm, n: 2, k: 2, b_is_weight: maybe, phase: [1]}
)");
  const std::vector<std::string> expected = {
      "t.yaml:1:17: format_version: unsupported format_version 2 (this mpsim reads 1)",
      "t.yaml:3:8: phase: unknown phase 'decod' (did you mean 'decode'?) (known: none, prefill, "
      "decode)",
      "t.yaml:4:8: batch: must be >= 1, got 0",
      "t.yaml:5:32: defaults.b_fromat: unknown key (did you mean 'b_format'?)",
      "t.yaml:8:12: ops[1].name: duplicate op name 'a' (first used by ops[0])",
      "t.yaml:8:21: ops[1].kind: unknown op kind 'gem' (did you mean 'gemm'?) (known: gemm, "
      "batched_gemm, softmax, layernorm, rmsnorm, gelu, silu, relu, elementwise)",
      "t.yaml:8:29: ops[1].m: must be >= 1, got 0",
      "t.yaml:12:8: ops[2].n: expected an integer, got 'x'",
      "t.yaml:13:8: ops[2].k: only gemm and batched_gemm ops take 'k' (kind is softmax)",
      "t.yaml:14:5: ops[2].repeet: unknown key (did you mean 'repeat'?)",
      "",  // ops[2].a_format: the registry's unknown-format message, checked below
      "t.yaml:16:36: ops[2].b_format.block: must be >= 1, got 0",
      "t.yaml:17:17: ops[2].out_format: format 'int8' is a scalar format and takes no block size",
      "t.yaml:18:17: ops[2].acc_format: format 'fp32' takes no options (got 'fp32/rne')",
      "t.yaml:19:73: ops[3].b_shared: must divide batch (6), got 4",
      "t.yaml:20:5: ops[4].name: missing required key",
      "t.yaml:20:5: ops[4].m: missing required key",
      "t.yaml:20:43: ops[4].b_is_weight: expected true or false, got 'maybe'",
      "t.yaml:20:57: ops[4].phase: expected a string",
  };
  ASSERT_EQ(d.size(), expected.size()) << ::testing::PrintToString(d);
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (expected[i].empty()) continue;
    EXPECT_EQ(d[i], expected[i]) << i;
  }
  EXPECT_THAT(d[10], StartsWith("t.yaml:15:15: ops[2].a_format: unknown format 'mxfq4' (did you "
                                "mean 'mxfp4'?)"));
}

TEST(TraceYaml, StructuralErrors) {
  EXPECT_EQ(
      diagnostics_of("ops: [a, b\nx: 1"),
      std::vector<std::string>{"t.yaml:2:2: YAML syntax error: end of sequence flow not found"});
  EXPECT_EQ(
      diagnostics_of(""),
      std::vector<std::string>{"t.yaml: empty trace; expected a map with format_version and ops"});
  EXPECT_EQ(diagnostics_of("- 1\n- 2\n"), std::vector<std::string>{"t.yaml:1:1: expected a map"});
  EXPECT_EQ(diagnostics_of("ops: []\nops: []\n"),
            (std::vector<std::string>{
                "t.yaml:1:1: format_version: missing required key (this mpsim writes 1)",
                "t.yaml:2:1: ops: duplicate key (first at line 1)"}));
  EXPECT_EQ(diagnostics_of("format_version: 1\nops: {a: 1}\n"),
            std::vector<std::string>{"t.yaml:2:6: ops: expected a list of ops"});
  EXPECT_EQ(diagnostics_of("format_version: 1\n"),
            std::vector<std::string>{"t.yaml:1:1: ops: missing required key"});
  EXPECT_EQ(diagnostics_of("format_version: 1\nops:\n  - {name: a, kind: gemm, m: 1, n: 1, k: 1,"
                           " a_format: {block: 32}}\n"),
            std::vector<std::string>{"t.yaml:3:55: ops[0].a_format.name: missing required key"});
}

TEST(ScaleSimCsv, ImportsScaleSimStyleRows) {
  const Trace t = parse_scalesim_csv(
      "Layer, M, N, K,\n"
      "  fc1 , 128, 256, 512,\n"
      "\n"
      "# a comment\r\n"
      "fc2,64,32,16,extra,cols\r\n",
      "topo.csv");
  ASSERT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.ops[0].name, "fc1");
  EXPECT_EQ(t.ops[0].m, 128);
  EXPECT_EQ(t.ops[0].n, 256);
  EXPECT_EQ(t.ops[0].k, 512);
  EXPECT_EQ(t.ops[0].kind, OpKind::kGemm);
  EXPECT_EQ(t.ops[0].b_format.str(), "fp16");
  EXPECT_EQ(t.ops[1].name, "fc2");
  EXPECT_EQ(t.ops[1].k, 16);
  EXPECT_EQ(t.total_macs(), 128LL * 256 * 512 + 64 * 32 * 16);
}

TEST(ScaleSimCsv, ReportsEveryBadRow) {
  try {
    parse_scalesim_csv("Layer,M,N,K\na,1,2\nb, 0, x ,3\na,1,1,1\nc,1,1,1\nc,1,1,1\n", "g.csv");
    FAIL();
  } catch (const ConfigError& e) {
    std::vector<std::string> got;
    for (const auto& d : e.diagnostics()) got.push_back(d.str());
    EXPECT_EQ(got, (std::vector<std::string>{
                       "g.csv:2:1: expected 4 fields (Layer,M,N,K), got 3",
                       "g.csv:3:4: M: expected a positive integer, got '0'",
                       "g.csv:3:7: N: expected a positive integer, got 'x'",
                       "g.csv:6:1: Layer: duplicate layer name 'c' (first on line 5)"}));
  }
  try {
    parse_scalesim_csv("Layer name, IFMAP Height, IFMAP Width, Filter Height,\n", "c.csv");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("c.csv:1:1: header: SCALE-Sim convolution topologies are not"));
  }
  EXPECT_THROW(parse_scalesim_csv("", "e.csv"), ConfigError);
}

TEST(ScaleSimCsv, ExportExpandsRepeatAndDistinctBOperands) {
  Trace t;
  Op g;
  g.name = "fc";
  g.m = 4;
  g.n = 5;
  g.k = 6;
  g.repeat = 2;
  Op bg;
  bg.name = "qk";
  bg.kind = OpKind::kBatchedGemm;
  bg.batch = 4;
  bg.b_shared = 2;
  bg.m = 1;
  bg.n = 7;
  bg.k = 8;
  Op sm;
  sm.name = "smax";
  sm.kind = OpKind::kSoftmax;
  t.ops = {g, bg, sm};
  const std::string csv = trace_to_scalesim_csv(t);
  EXPECT_EQ(csv,
            "Layer, M, N, K,\n"
            "fc.r0, 4, 5, 6,\n"
            "fc.r1, 4, 5, 6,\n"
            "qk.g0, 2, 7, 8,\n"
            "qk.g1, 2, 7, 8,\n");
  const Trace back = parse_scalesim_csv(csv, "x.csv");
  ASSERT_EQ(back.ops.size(), 4u);
  std::int64_t macs = 0;
  for (const auto& op : back.ops) macs += op.macs();
  EXPECT_EQ(macs, g.macs() + bg.macs());  // the MAC work survives the export
}

TEST(TraceFiles, SaveAndLoadByExtension) {
  const auto dir = std::filesystem::temp_directory_path() / "mpsim_workload_trace_test";
  std::filesystem::create_directories(dir);
  ExpandOptions o;
  o.phase = Phase::kPrefill;
  o.seq_len = 16;
  const Trace t = expand(preset("tiny-llama"), o);
  save_trace(t, dir / "t.yaml");
  EXPECT_EQ(load_trace(dir / "t.yaml"), t);
  save_trace(t, dir / "t.csv");
  const Trace csv = load_trace(dir / "t.csv");
  EXPECT_EQ(csv.total_macs(), t.total_macs());
  std::ofstream(dir / "bad.yml") << "format_version: 1\nops: [{name: a}]\n";
  try {
    load_trace(dir / "bad.yml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.diagnostics()[0].where, HasSubstr("bad.yml:2:7"));
  }
  EXPECT_THAT(
      [&] {
        try {
          load_trace(dir / "t.json");
        } catch (const ConfigError& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("unknown trace extension '.json'"));
  EXPECT_THROW(load_trace(dir / "missing.yaml"), ConfigError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mpsim::workload
