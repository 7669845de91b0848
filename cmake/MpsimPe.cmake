# DESCRIPTION: One folder per PE family: mpsim_add_pe_type() builds it, mpsim_generate_pe_registry()
# writes the registry TU that calls each family's mpsim_register_pe_<id>() (link-safe with STATIC
# libraries, unlike static self-registration).
include_guard(GLOBAL)

# mpsim_add_pe_type(<id> SOURCES ... [TESTS ...])
function(mpsim_add_pe_type id)
  cmake_parse_arguments(ARG "" "" "SOURCES;TESTS" ${ARGN})
  add_library(mpsim_pe_${id} STATIC ${ARG_SOURCES})
  # The family's own folder, and sim/pe for headers shared between families (common/).
  target_include_directories(mpsim_pe_${id} PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}>
                                                   $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/sim/pe>)
  target_link_libraries(mpsim_pe_${id} PUBLIC mpsim::core PRIVATE mpsim_warnings mpsim_exact_fp)
  if(ARG_TESTS AND MPSIM_BUILD_TESTS)
    mpsim_add_test(pe_${id}_test SOURCES ${ARG_TESTS} LIBS mpsim_pe_${id} mpsim::pe_types
                   mpsim::golden_cpu LABELS unit)
    target_link_libraries(pe_${id}_test PRIVATE mpsim_exact_fp)
    target_include_directories(pe_${id}_test PRIVATE ${PROJECT_SOURCE_DIR}/sim/pe)
  endif()
endfunction()

# mpsim_generate_pe_registry(<target> <ids>)
function(mpsim_generate_pe_registry target ids)
  set(MPSIM_PE_DECLS "")
  set(MPSIM_PE_CALLS "")
  foreach(id IN LISTS ids)
    string(APPEND MPSIM_PE_DECLS "void mpsim_register_pe_${id}(::mpsim::sim::PeRegistry&);\n")
    string(APPEND MPSIM_PE_CALLS "    mpsim_register_pe_${id}(r);\n")
  endforeach()
  configure_file(${CMAKE_CURRENT_SOURCE_DIR}/registry.cpp.in ${CMAKE_CURRENT_BINARY_DIR}/registry.cpp @ONLY)
  add_library(${target} STATIC ${CMAKE_CURRENT_BINARY_DIR}/registry.cpp)
  target_link_libraries(${target} PUBLIC mpsim::core)
  foreach(id IN LISTS ids)
    target_link_libraries(${target} PUBLIC mpsim_pe_${id})
  endforeach()
  add_library(mpsim::pe_types ALIAS ${target})
endfunction()
