// DESCRIPTION: The MPI master/worker evaluator of `mpsim dse --mpi` (internal to the driver): rank
// 0 runs the search and the store and hands points to ranks 1..N-1, which resolve and evaluate them
// (analytical model) and send the evaluation back. Built only when OpenMPI is found.
// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mpsim/dse/types.h"

namespace mpsim::dse::mpi {

/// MPI_Init on construction (if not yet initialized), MPI_Finalize on destruction.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
  bool owns_ = false;
};

/// A finished evaluation as it travels between ranks.
struct Result {
  Evaluation eval;
  std::string layers_csv;
};
std::string encode(const Result& r);
Result decode(const std::string& text);

/// Master side: evaluates `points` on the workers; `done(i, result)` is called on rank 0, in
/// completion order, for each index i of `points`.
void evaluate_on_workers(const Session& s, const std::vector<Point>& points,
                         const std::function<void(std::size_t, const Result&)>& done);
/// Master side: tells every worker to leave its loop.
void stop_workers(const Session& s);
/// Worker side: serves evaluations until the master says stop.
void serve(const std::function<Result(const Point&)>& evaluate);

}  // namespace mpsim::dse::mpi
