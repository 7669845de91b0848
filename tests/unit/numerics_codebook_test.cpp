// DESCRIPTION: placeholder for the codebook format family tests.
#include <gtest/gtest.h>

#include "mpsim/numerics/quantizer.h"

TEST(Placeholdercodebook, RegistryBuilds) { EXPECT_GT(mpsim::num::builtin_formats().names().size(), 10u); }
