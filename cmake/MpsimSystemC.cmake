# DESCRIPTION: mpsim::systemc — Debian's libsystemc-dev ships only pkg-config files, and the library is
# built as C++17: its API symbol is sc_api_version_2_3_4_cxx201703L, so every TU that includes
# <systemc> pins SC_CPLUSPLUS to match while the rest of the project stays C++20.
include_guard(GLOBAL)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMC REQUIRED IMPORTED_TARGET systemc)
add_library(mpsim_systemc INTERFACE)
target_link_libraries(mpsim_systemc INTERFACE PkgConfig::SYSTEMC)
target_compile_definitions(mpsim_systemc INTERFACE SC_CPLUSPLUS=201703L)
add_library(mpsim::systemc ALIAS mpsim_systemc)
