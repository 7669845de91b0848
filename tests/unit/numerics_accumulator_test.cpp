#include <gtest/gtest.h>

#include "mpsim/numerics/scalar_format.h"

TEST(Smoke, E4M3Tie) { EXPECT_EQ(mpsim::num::ScalarFormat::fp8_e4m3().quantize(464.0), 448.0); }
