// DESCRIPTION: MPI master/worker evaluation (see mpi_pool.h). Point-to-point messages on
// MPI_COMM_WORLD: a task is the point's indices (tag kTask), a result its JSON text (tag kResult),
// an empty kStop message ends a worker. One task in flight per worker.
// SPDX-License-Identifier: Apache-2.0
#include "mpi_pool.h"

#include <mpi.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "mpsim/base/error.h"

namespace mpsim::dse::mpi {
namespace {
constexpr int kTask = 1, kResult = 2, kStop = 3;
}  // namespace

Session::Session() {
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    MPI_Init(nullptr, nullptr);
    owns_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
  if (owns_) MPI_Finalize();
}

std::string encode(const Result& r) {
  nlohmann::json j;
  j["status"] = std::string(to_string(r.eval.status));
  j["reason"] = r.eval.reason;
  j["fidelity"] = r.eval.fidelity;
  j["eval_seconds"] = r.eval.eval_seconds;
  const Metrics& m = r.eval.metrics;
  j["latency_s"] = m.latency_s;
  j["energy_j"] = m.energy_j;
  j["area_mm2"] = m.area_mm2;
  j["accuracy_sqnr_db"] = m.accuracy_sqnr_db;
  j["extra"] = m.extra;
  j["layers"] = r.layers_csv;
  return j.dump();
}

Result decode(const std::string& text) {
  const auto j = nlohmann::json::parse(text);
  Result r;
  MPSIM_CHECK(parse_status(j.at("status").get<std::string>(), r.eval.status), "bad status");
  r.eval.reason = j.at("reason").get<std::string>();
  r.eval.fidelity = j.at("fidelity").get<std::string>();
  r.eval.eval_seconds = j.at("eval_seconds").get<double>();
  Metrics& m = r.eval.metrics;
  m.latency_s = j.at("latency_s").get<double>();
  m.energy_j = j.at("energy_j").get<double>();
  m.area_mm2 = j.at("area_mm2").get<double>();
  m.accuracy_sqnr_db = j.at("accuracy_sqnr_db").get<double>();
  m.extra = j.at("extra").get<std::map<std::string, double>>();
  r.layers_csv = j.at("layers").get<std::string>();
  return r;
}

void evaluate_on_workers(const Session& s, const std::vector<Point>& points,
                         const std::function<void(std::size_t, const Result&)>& done) {
  MPSIM_CHECK(s.rank() == 0 && s.size() > 1, "evaluate_on_workers: rank 0 with workers only");
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < points.size(); ++i) queue.push_back(i);
  std::vector<long> busy(static_cast<std::size_t>(s.size()), -1);  // task index per worker
  auto send = [&](int worker) {
    const std::size_t i = queue.front();
    queue.pop_front();
    busy[static_cast<std::size_t>(worker)] = static_cast<long>(i);
    MPI_Send(points[i].data(), static_cast<int>(points[i].size()), MPI_UINT32_T, worker, kTask,
             MPI_COMM_WORLD);
  };
  std::size_t in_flight = 0;
  for (int w = 1; w < s.size() && !queue.empty(); ++w, ++in_flight) send(w);
  while (in_flight > 0) {
    MPI_Status st;
    MPI_Probe(MPI_ANY_SOURCE, kResult, MPI_COMM_WORLD, &st);
    int n = 0;
    MPI_Get_count(&st, MPI_CHAR, &n);
    std::string text(static_cast<std::size_t>(n), '\0');
    MPI_Recv(text.data(), n, MPI_CHAR, st.MPI_SOURCE, kResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    const auto i = static_cast<std::size_t>(busy[static_cast<std::size_t>(st.MPI_SOURCE)]);
    busy[static_cast<std::size_t>(st.MPI_SOURCE)] = -1;
    --in_flight;
    if (!queue.empty()) {
      send(st.MPI_SOURCE);
      ++in_flight;
    }
    done(i, decode(text));
  }
}

void stop_workers(const Session& s) {
  for (int w = 1; w < s.size(); ++w) MPI_Send(nullptr, 0, MPI_UINT32_T, w, kStop, MPI_COMM_WORLD);
}

void serve(const std::function<Result(const Point&)>& evaluate) {
  for (;;) {
    MPI_Status st;
    MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
    int n = 0;
    MPI_Get_count(&st, MPI_UINT32_T, &n);
    Point p(static_cast<std::size_t>(n));
    MPI_Recv(p.data(), n, MPI_UINT32_T, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (st.MPI_TAG == kStop) return;
    const std::string text = encode(evaluate(p));
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kResult, MPI_COMM_WORLD);
  }
}

}  // namespace mpsim::dse::mpi
