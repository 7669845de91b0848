// DESCRIPTION: placeholder for the group_int format family tests.
#include <gtest/gtest.h>

#include "mpsim/numerics/quantizer.h"

TEST(Placeholdergroup_int, RegistryBuilds) { EXPECT_GT(mpsim::num::builtin_formats().names().size(), 10u); }
