// DESCRIPTION: The `mpsim workload list|show` contract, run as a process: preset table, op table,
// JSON and CSV output, presets/traces/config.json sources, exit statuses and error messages.
// SPDX-License-Identifier: Apache-2.0
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "mpsim/app/workload_command.h"
#include "mpsim/workload/model_config.h"
#include "mpsim/workload/presets.h"
#include "run_mpsim.h"

namespace {

using mpsim::test::Result;
using mpsim::test::run;
using mpsim::test::TempFile;

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const json* find_op(const json& j, const std::string& name) {
  for (const auto& op : j["ops"])
    if (op["name"] == name) return &op;
  return nullptr;
}

TEST(CliWorkload, ListHasEveryPresetWithExactAndHumanParameters) {
  const auto r = run("workload list");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& name : mpsim::workload::preset_names())
    EXPECT_THAT(r.out, HasSubstr("\n" + name + " ")) << name;
  // Published sizes (docs/trace-format.md): exact count, 3 significant digits, layers, hidden.
  EXPECT_THAT(r.out,
              HasSubstr("llama2-7b          llama        6738415616    6.74B      32    4096"));
  EXPECT_THAT(r.out,
              HasSubstr("llama3-8b          llama        8030261248    8.03B      32    4096"));
  EXPECT_THAT(r.out,
              HasSubstr("vit-b16            vit            86567656    86.6M      12     768"));
  // Swin: layers is the sum of the stage depths (2+2+6+2), hidden the last stage width (96*8).
  EXPECT_THAT(r.out,
              HasSubstr("swin-t             swin           28288354    28.3M      12     768"));
}

TEST(CliWorkload, HumanCount) {
  EXPECT_EQ(mpsim::app::human_count(999), "999");
  EXPECT_EQ(mpsim::app::human_count(1000), "1.00K");
  EXPECT_EQ(mpsim::app::human_count(22050664), "22.1M");
  EXPECT_EQ(mpsim::app::human_count(999'600'000), "1.00B");
  EXPECT_EQ(mpsim::app::human_count(6658473984), "6.66B");
}

TEST(CliWorkload, ShowTinyLlamaTotalsEqualTheLibrary) {
  const auto r = run("workload show tiny-llama --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = json::parse(r.out);
  // Defaults: prefill, batch 1, a 2048-token context capped at tiny-llama's 128 positions.
  EXPECT_EQ(j["phase"], "prefill");
  EXPECT_EQ(j["batch"], 1);
  EXPECT_EQ(j["seq_len"], 128);
  mpsim::workload::ExpandOptions o;
  o.phase = mpsim::workload::Phase::kPrefill;
  o.seq_len = 128;
  const auto t = mpsim::workload::expand(mpsim::workload::preset("tiny-llama"), o);
  EXPECT_EQ(j["parameters"], t.parameters);
  EXPECT_EQ(j["total_macs"], t.total_macs());
  EXPECT_EQ(j["kv_len"], t.kv_len);
  ASSERT_EQ(j["ops"].size(), t.ops.size());
  std::int64_t macs = 0;
  for (std::size_t i = 0; i < t.ops.size(); ++i) {
    const auto& op = j["ops"][i];
    EXPECT_EQ(op["name"], t.ops[i].name);
    EXPECT_EQ(op["macs"], t.ops[i].macs());
    EXPECT_EQ(op["bytes_a"].get<double>(), t.ops[i].operand_bytes('a'));
    EXPECT_EQ(op["bytes_b"].get<double>(), t.ops[i].operand_bytes('b'));
    EXPECT_EQ(op["bytes_out"].get<double>(), t.ops[i].operand_bytes('o'));
    macs += op["macs"].get<std::int64_t>();
  }
  EXPECT_EQ(macs, t.total_macs());

  // The table ends with the same totals.
  const auto table = run("workload show tiny-llama");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_THAT(table.out, StartsWith("model tiny-llama  phase prefill  batch 1  seq_len 128"));
  EXPECT_THAT(table.out,
              HasSubstr(fmt::format("total: {} ops, {} MACs", t.ops.size(), t.total_macs())));
  EXPECT_THAT(table.out, HasSubstr(fmt::format("parameters {} (", t.parameters)));
  EXPECT_THAT(table.out, HasSubstr("fp16/fp16/fp16/fp32"));
}

TEST(CliWorkload, Llama3DecodeJsonHandWorkedShapes) {
  const auto r = run("workload show llama3-8b --phase decode --batch 2 --seq 1000 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto j = json::parse(r.out);
  EXPECT_EQ(j["model"], "llama3-8b");
  EXPECT_EQ(j["phase"], "decode");
  EXPECT_EQ(j["batch"], 2);
  EXPECT_EQ(j["seq_len"], 1000);
  EXPECT_EQ(j["kv_len"], 1001);  // 1000 cached + the new token
  EXPECT_EQ(j["parameters"], 8030261248);
  // K projection: 8 KV heads x 128 = 1024 outputs from 4096, one token per sequence, 32 layers.
  const json* k = find_op(j, "blk.attn.k");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ((*k)["kind"], "gemm");
  EXPECT_EQ((*k)["m"], 2);
  EXPECT_EQ((*k)["n"], 1024);
  EXPECT_EQ((*k)["k"], 4096);
  EXPECT_EQ((*k)["repeat"], 32);
  EXPECT_EQ((*k)["b_is_weight"], true);
  EXPECT_EQ((*k)["b_format"], "fp16");
  EXPECT_EQ((*k)["macs"], 2 * 1024 * 4096 * 32LL);
  EXPECT_EQ((*k)["bytes_b"], 4096 * 1024 * 2 * 32LL);  // fp16 weights, once per layer
  // QK^T: 2 x 32 heads, 4 query heads share each K (GQA), 1001 keys of 128.
  const json* qk = find_op(j, "blk.attn.qk");
  ASSERT_NE(qk, nullptr);
  EXPECT_EQ((*qk)["kind"], "batched_gemm");
  EXPECT_EQ((*qk)["batch"], 64);
  EXPECT_EQ((*qk)["b_shared"], 4);
  EXPECT_EQ((*qk)["m"], 1);
  EXPECT_EQ((*qk)["n"], 1001);
  EXPECT_EQ((*qk)["k"], 128);
  EXPECT_EQ((*qk)["bytes_b"], 16 * 128 * 1001 * 2 * 32LL);  // 64/4 distinct K caches
}

TEST(CliWorkload, CsvIsScaleSimTopology) {
  const auto r = run("workload show tiny-llama --phase decode --seq 10 --csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("Layer, M, N, K,\n"));
  // tiny-llama: hidden 64, 2 KV heads x 16 = 32 K outputs, 2 layers -> two rows.
  EXPECT_THAT(r.out, HasSubstr("blk.attn.k.r0, 1, 32, 64,\n"));
  EXPECT_THAT(r.out, HasSubstr("blk.attn.k.r1, 1, 32, 64,\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("softmax")));
}

TEST(CliWorkload, VisionPresetsHaveNoPhase) {
  const auto r = run("workload show tiny-vit --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["phase"], "none");
  const auto bad = run("workload show vit-b16 --phase prefill");
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("error: <expand>: phase: vit-b16 (vit) is an encoder with no "
                                 "prefill phase; use none"));
  EXPECT_EQ(bad.out, "");
}

TEST(CliWorkload, TraceFilesAndHfConfig) {
  const TempFile yaml("t.yaml",
                      "format_version: 1\nmodel: mine\nparameters: 12\nops:\n"
                      "  - {name: g, kind: gemm, m: 2, n: 3, k: 4, b_format: mxfp4}\n"
                      "  - {name: s, kind: softmax, m: 2, n: 3}\n");
  const auto y = run("workload show " + yaml.path.string());
  ASSERT_EQ(y.status, 0) << y.err;
  // A: 2x4 fp16 = 16 bytes; B: 4x3 mxfp4 at 4.25 bits = 6.375 bytes; out 2x3 fp16 = 12 bytes.
  EXPECT_THAT(y.out, HasSubstr("fp16/mxfp4/fp16/fp32    24       16     6.38         12"));
  // Softmax 2x3 fp16 reads 12 bytes and writes 12: totals a 16 + 12, out 12 + 12.
  EXPECT_THAT(y.out, HasSubstr("total: 2 ops, 24 MACs (24), bytes a 28 b 6.38 out 24 (all 58.38), "
                               "parameters 12 (12)"));
  const auto yj = json::parse(run("workload show " + yaml.path.string() + " --json").out);
  EXPECT_EQ(yj["ops"][0]["bytes_b"], 6.375);
  EXPECT_EQ(yj["ops"][1]["k"], 1);

  const TempFile csv("t.csv", "Layer,M,N,K\nfc1,8,16,32\n");
  const auto c = json::parse(run("workload show " + csv.path.string() + " --json").out);
  EXPECT_EQ(c["total_macs"], 8 * 16 * 32);

  // config.json with tiny-llama's shape expands to tiny-llama's ops.
  const TempFile hf("config.json",
                    R"({"model_type": "llama", "hidden_size": 64, "intermediate_size": 176,
                        "num_hidden_layers": 2, "num_attention_heads": 4,
                        "num_key_value_heads": 2, "vocab_size": 256,
                        "max_position_embeddings": 128})");
  const auto h = run("workload show " + hf.path.string() + " --phase decode --seq 5 --json");
  ASSERT_EQ(h.status, 0) << h.err;
  const auto p = run("workload show tiny-llama --phase decode --seq 5 --json");
  const auto hj = json::parse(h.out), pj = json::parse(p.out);
  EXPECT_EQ(hj["parameters"], pj["parameters"]);
  EXPECT_EQ(hj["total_macs"], pj["total_macs"]);
  EXPECT_EQ(hj["ops"], pj["ops"]);
}

TEST(CliWorkloadErrors, EveryMessage) {
  const auto u = run("workload show llama3-9b");
  EXPECT_EQ(u.status, 2);
  EXPECT_THAT(u.err, HasSubstr("error: model: unknown model preset 'llama3-9b' (did you mean "
                               "'llama3-8b'?)"));
  const auto ph = run("workload show llama3-8b --phase decod --batch 0 --seq -1");
  EXPECT_EQ(ph.status, 2);
  EXPECT_THAT(ph.err, HasSubstr("error: --phase: unknown phase 'decod' (did you mean 'decode'?) "
                                "(known: none, prefill, decode)"));
  EXPECT_THAT(ph.err, HasSubstr("error: --batch: must be >= 1, got 0"));
  EXPECT_THAT(ph.err, HasSubstr("error: --seq: must be >= 0, got -1"));
  const auto pre = run("workload show llama3-8b --seq 0");
  EXPECT_EQ(pre.status, 2);
  EXPECT_THAT(pre.err, HasSubstr("seq_len: prefill needs >= 1 prompt token, got 0"));
  const TempFile csv("e.csv", "Layer,M,N,K\nfc1,8,16,32\n");
  const auto t = run("workload show " + csv.path.string() + " --phase decode");
  EXPECT_EQ(t.status, 2);
  EXPECT_THAT(t.err, HasSubstr(": --phase: a trace file is already expanded"));
  const auto missing = run("workload show /nonexistent/t.yaml");
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent/t.yaml"));
  const auto both = run("workload show tiny-llama --json --csv");
  EXPECT_EQ(both.status, 2);
  EXPECT_THAT(both.err, HasSubstr("excludes"));
  const auto none = run("workload");
  EXPECT_EQ(none.status, 2);
}

}  // namespace
