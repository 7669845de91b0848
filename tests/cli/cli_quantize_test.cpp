#include <gtest/gtest.h>

#include "mpsim/app/number_text.h"

TEST(Smoke, Parse) { EXPECT_EQ(mpsim::app::parse_numbers("1, 2", "x").size(), 2u); }
