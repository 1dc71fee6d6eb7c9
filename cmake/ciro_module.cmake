# ciro_module(NAME <name> [SOURCES ...] [DEPS ...] [TESTS ...] [TEST_DEPS ...] [LABELS ...])
#
# Declares the library target ciro_<name> (alias ciro::<name>) for the folder <name>/, with
# the repository root on its include path, and one GoogleTest executable per unit in TESTS
# (unit `foo` is tests/<name>/foo_test.cpp), each registered with ctest under the labels given
# (default `unit`). A module without SOURCES is an INTERFACE (header-only) library.
function(ciro_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;TESTS;TEST_DEPS;LABELS" ${ARGN})
  set(target ciro_${M_NAME})
  if(M_SOURCES)
    add_library(${target} STATIC ${M_SOURCES})
    # The module's own folder is on its private include path: Highway's HWY_TARGET_INCLUDE
    # re-includes a source file by its bare name.
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${target} PUBLIC ${M_DEPS})
    set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${M_DEPS})
  endif()
  add_library(ciro::${M_NAME} ALIAS ${target})
  if(NOT M_LABELS)
    set(M_LABELS unit)
  endif()
  foreach(unit IN LISTS M_TESTS)
    ciro_test(SOURCE ${PROJECT_SOURCE_DIR}/tests/${M_NAME}/${unit}_test.cpp
              DEPS ${target} ${M_TEST_DEPS} LABELS ${M_LABELS})
  endforeach()
endfunction()

# ciro_test(SOURCE <file> DEPS ... LABELS ...): one GoogleTest executable named after the file.
function(ciro_test)
  cmake_parse_arguments(T "" "SOURCE" "DEPS;LABELS" ${ARGN})
  get_filename_component(test_name ${T_SOURCE} NAME_WE)
  add_executable(${test_name} ${T_SOURCE})
  target_link_libraries(${test_name} PRIVATE ${T_DEPS} ciro::test_support GTest::gtest_main)
  gtest_discover_tests(${test_name}
    PROPERTIES LABELS "${T_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()

include(GoogleTest)
