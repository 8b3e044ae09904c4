# Shared build rules for every step directory.
#
# A step's CMakeLists.txt names only its sources; everything else (target names, warnings,
# sanitizers, test registration, labels, the checkNN target) is derived here from the directory
# name, so two neighbouring steps' CMakeLists differ only in the files the newer step adds.
#
#   net_step()                                   call first, right after project()
#   net_library(<sources...>)                    the step's library: <step>_net
#   net_program(<name> <sources...>)             bin/<name>, linked with the library
#   net_tests(<files...> [THREADED <files...>])  one GoogleTest executable per file
#   net_benchmark(<name> <sources...>)           bin/<name> with Google Benchmark, not a test
include_guard(DIRECTORY)

# Options shared by all steps. They are cache variables, so a top-level build and a standalone
# step build accept the same -D flags (and the same presets).
set(NET_SANITIZER "" CACHE STRING "Sanitizer build: empty, 'asan' (Address+UndefinedBehavior) or 'tsan'")
set_property(CACHE NET_SANITIZER PROPERTY STRINGS "" asan tsan)
option(NET_WERROR "Treat compiler warnings as errors" OFF)
set(NET_EXTRA_TESTS_DIR "" CACHE PATH
    "A teacher's extra (hidden) test directory: every *_test.cc in it is added to each step built")
set(NET_TEST_TIMEOUT 120 CACHE STRING
    "Seconds before ctest stops one test (tools/assign grade and check set it lower)")

macro(net_step)
  get_filename_component(NET_STEP "${CMAKE_CURRENT_SOURCE_DIR}" NAME)
  # step02_epoll -> check02; final -> check_final
  if(NET_STEP MATCHES "^step([0-9]+)_")
    set(NET_CHECK_TARGET "check${CMAKE_MATCH_1}")
  else()
    set(NET_CHECK_TARGET "check_${NET_STEP}")
  endif()

  if(PROJECT_IS_TOP_LEVEL)
    # Built on its own (cmake -S stepNN_x -B b): set up what the top level would have.
    if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
      set(CMAKE_BUILD_TYPE RelWithDebInfo)
    endif()
    enable_testing()
  endif()
  set(CMAKE_CXX_STANDARD 17)
  set(CMAKE_CXX_STANDARD_REQUIRED ON)
  set(CMAKE_CXX_EXTENSIONS OFF)
  set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
  set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}/bin")

  find_package(Threads REQUIRED)
  find_package(GTest REQUIRED)
  include(GoogleTest)

  add_library(${NET_STEP}_options INTERFACE)
  target_compile_options(${NET_STEP}_options INTERFACE -Wall -Wextra -Wshadow)
  if(NET_WERROR)
    target_compile_options(${NET_STEP}_options INTERFACE -Werror)
  endif()
  if(NET_SANITIZER STREQUAL "asan")
    target_compile_options(${NET_STEP}_options INTERFACE
      -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${NET_STEP}_options INTERFACE -fsanitize=address,undefined)
  elseif(NET_SANITIZER STREQUAL "tsan")
    target_compile_options(${NET_STEP}_options INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${NET_STEP}_options INTERFACE -fsanitize=thread)
  elseif(NOT NET_SANITIZER STREQUAL "")
    message(FATAL_ERROR "NET_SANITIZER must be empty, asan or tsan (got '${NET_SANITIZER}')")
  endif()
  target_link_libraries(${NET_STEP}_options INTERFACE Threads::Threads)

  add_custom_target(${NET_CHECK_TARGET}_build)
  add_custom_target(${NET_CHECK_TARGET}
    COMMAND ${CMAKE_CTEST_COMMAND} -L "^${NET_STEP}$" --output-on-failure --stop-on-failure
            --timeout 120
    WORKING_DIRECTORY "${CMAKE_CURRENT_BINARY_DIR}"
    COMMENT "Running the tests of ${NET_STEP}"
    USES_TERMINAL VERBATIM)
  add_dependencies(${NET_CHECK_TARGET} ${NET_CHECK_TARGET}_build)
endmacro()

function(net_library)
  add_library(${NET_STEP}_net STATIC ${ARGN})
  target_include_directories(${NET_STEP}_net PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(${NET_STEP}_net PUBLIC ${NET_STEP}_options)
  add_dependencies(${NET_CHECK_TARGET}_build ${NET_STEP}_net)
endfunction()

function(net_program name)
  add_executable(${NET_STEP}_${name} ${ARGN})
  set_target_properties(${NET_STEP}_${name} PROPERTIES OUTPUT_NAME ${name})
  target_link_libraries(${NET_STEP}_${name} PRIVATE ${NET_STEP}_net)
  target_include_directories(${NET_STEP}_${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/examples")
  add_dependencies(${NET_CHECK_TARGET}_build ${NET_STEP}_${name})
  # Tests that drive the program as a separate process find it through this definition.
  string(TOUPPER "${name}" upper)
  set_property(DIRECTORY APPEND PROPERTY NET_PROGRAM_DEFINITIONS
               "${upper}_PATH=\"$<TARGET_FILE:${NET_STEP}_${name}>\"")
  set_property(DIRECTORY APPEND PROPERTY NET_PROGRAM_TARGETS ${NET_STEP}_${name})
endfunction()

# One executable per test file: a failure names its scenario, files run in parallel under ctest,
# and a teacher's extra tests are just more files. Test names carry the step as prefix so the
# same test in two steps stays distinguishable in one top-level run. A teacher's extra test
# (`kind` "extra") gets its own target and name prefix, so hidden/echo_server_test.cc can sit
# next to the step's tests/echo_server_test.cc.
function(net_add_test_file file labels kind)
  get_filename_component(base "${file}" NAME_WE)
  if(kind)
    set(target ${NET_STEP}_${kind}_${base})
    set(prefix "${NET_STEP}.${kind}.")
  else()
    set(target ${NET_STEP}_${base})
    set(prefix "${NET_STEP}.")
  endif()
  add_executable(${target} "${file}")
  target_link_libraries(${target} PRIVATE ${NET_STEP}_net GTest::gtest GTest::gtest_main)
  target_include_directories(${target} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}/tests")
  get_property(defs DIRECTORY PROPERTY NET_PROGRAM_DEFINITIONS)
  get_property(programs DIRECTORY PROPERTY NET_PROGRAM_TARGETS)
  target_compile_definitions(${target} PRIVATE ${defs})
  if(programs)
    add_dependencies(${target} ${programs})
  endif()
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
                        "${CMAKE_CURRENT_BINARY_DIR}/tests")
  # gtest_discover_tests flattens PROPERTIES into one list, so a second label would be read as
  # a property name. The labels are set instead by a script that ctest runs after the
  # discovered tests are defined (their names are in ${target}_TESTS by then).
  gtest_discover_tests(${target}
    TEST_PREFIX "${prefix}"
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 30
    NO_PRETTY_VALUES  # "Suite/Test.Case/0", not "... # GetParam() = ...": names without spaces
    PROPERTIES TIMEOUT ${NET_TEST_TIMEOUT})
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_labels.cmake")
  file(WRITE "${script}"
       "foreach(t IN LISTS ${target}_TESTS)\n"
       "  set_tests_properties(\"\${t}\" PROPERTIES LABELS \"${labels}\")\n"
       "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
  add_dependencies(${NET_CHECK_TARGET}_build ${target})
endfunction()

function(net_tests)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "THREADED")
  foreach(file IN LISTS arg_UNPARSED_ARGUMENTS)
    net_add_test_file("${file}" "${NET_STEP}" "")
  endforeach()
  foreach(file IN LISTS arg_THREADED)
    net_add_test_file("${file}" "${NET_STEP};threaded" "")
  endforeach()
  if(NET_EXTRA_TESTS_DIR)
    # hidden/step03_channel/*_test.cc when that directory exists (one tree of hidden tests for
    # every step, also in a top-level build), otherwise hidden/*_test.cc.
    set(extra_dir "${NET_EXTRA_TESTS_DIR}")
    if(IS_DIRECTORY "${NET_EXTRA_TESTS_DIR}/${NET_STEP}")
      set(extra_dir "${NET_EXTRA_TESTS_DIR}/${NET_STEP}")
    endif()
    file(GLOB extra CONFIGURE_DEPENDS "${extra_dir}/*_test.cc")
    foreach(file IN LISTS extra)
      net_add_test_file("${file}" "${NET_STEP};extra" "extra")
    endforeach()
  endif()
endfunction()

# A micro-benchmark (Google Benchmark): built with the step as bin/<name>, so it cannot rot, but
# never run by ctest (a benchmark measures, it does not pass or fail). Google Benchmark is
# optional: without it (Debian: libbenchmark-dev) the benchmarks are skipped, said once.
function(net_benchmark name)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    get_property(reported GLOBAL PROPERTY NET_BENCHMARK_MISSING_REPORTED)
    if(NOT reported)
      message(STATUS "Google Benchmark not found (Debian: libbenchmark-dev): benchmarks skipped")
      set_property(GLOBAL PROPERTY NET_BENCHMARK_MISSING_REPORTED TRUE)
    endif()
    return()
  endif()
  add_executable(${NET_STEP}_${name} ${ARGN})
  set_target_properties(${NET_STEP}_${name} PROPERTIES OUTPUT_NAME ${name})
  target_link_libraries(${NET_STEP}_${name} PRIVATE ${NET_STEP}_net benchmark::benchmark)
  add_dependencies(${NET_CHECK_TARGET}_build ${NET_STEP}_${name})
endfunction()
