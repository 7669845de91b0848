// DESCRIPTION: DSE value types: status names and objective values.
// SPDX-License-Identifier: Apache-2.0
#include "mpsim/dse/types.h"

#include "mpsim/base/error.h"

namespace mpsim::dse {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::kOk:
      return "ok";
    case Status::kInfeasible:
      return "infeasible";
    case Status::kFailed:
      return "failed";
  }
  return "?";
}

bool parse_status(std::string_view s, Status& out) {
  for (Status v : {Status::kOk, Status::kInfeasible, Status::kFailed}) {
    if (s == to_string(v)) {
      out = v;
      return true;
    }
  }
  return false;
}

double objective_value(const Metrics& m, std::string_view name) {
  if (name == "latency") return m.latency_s;
  if (name == "energy") return m.energy_j;
  if (name == "area") return m.area_mm2;
  if (name == "accuracy") return -m.accuracy_sqnr_db;
  MPSIM_CHECK(false, "unknown objective " + std::string(name));
  return 0;
}

}  // namespace mpsim::dse
