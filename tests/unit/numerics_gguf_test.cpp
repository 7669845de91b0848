// DESCRIPTION: placeholder for the gguf format family tests.
#include <gtest/gtest.h>

#include "mpsim/numerics/quantizer.h"

TEST(Placeholdergguf, RegistryBuilds) { EXPECT_GT(mpsim::num::builtin_formats().names().size(), 10u); }
