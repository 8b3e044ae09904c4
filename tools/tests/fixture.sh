# shellcheck shell=bash disable=SC2016  # backquotes in '...' are Markdown here
# Builds a small fake repository for the tests of tools/: sourced by tools/tests/run.
#   make_fixture DIR
# DIR/cmake/NetStep.cmake is a minimal stand-in for the real one (plain test programs instead of
# GoogleTest, so that a configure and build take a second), with the same functions, labels,
# NET_EXTRA_TESTS_DIR and a NET_TEST_TIMEOUT.

make_fixture() {
  local r=$1
  mkdir -p "$r/cmake" "$r/notes/assignments"

  cat >"$r/cmake/NetStep.cmake" <<'EOF'
include_guard(DIRECTORY)
option(NET_WERROR "Treat compiler warnings as errors" OFF)
set(NET_SANITIZER "" CACHE STRING "unused here")
set(NET_EXTRA_TESTS_DIR "" CACHE PATH "extra test directory")
set(NET_TEST_TIMEOUT 120 CACHE STRING "seconds per test")
macro(net_step)
  get_filename_component(NET_STEP "${CMAKE_CURRENT_SOURCE_DIR}" NAME)
  enable_testing()
  set(CMAKE_CXX_STANDARD 17)
  add_library(${NET_STEP}_options INTERFACE)
  target_compile_options(${NET_STEP}_options INTERFACE -Wall -Wextra)
  if(NET_WERROR)
    target_compile_options(${NET_STEP}_options INTERFACE -Werror)
  endif()
endmacro()
function(net_library)
  add_library(${NET_STEP}_net STATIC ${ARGN})
  target_include_directories(${NET_STEP}_net PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}/src")
  target_link_libraries(${NET_STEP}_net PUBLIC ${NET_STEP}_options)
endfunction()
function(net_add_test_file file labels prefix)
  get_filename_component(base "${file}" NAME_WE)
  add_executable(${NET_STEP}_${prefix}${base} "${file}")
  target_link_libraries(${NET_STEP}_${prefix}${base} PRIVATE ${NET_STEP}_net)
  add_test(NAME ${NET_STEP}.${prefix}${base} COMMAND ${NET_STEP}_${prefix}${base})
  set_tests_properties(${NET_STEP}.${prefix}${base} PROPERTIES
                       LABELS "${labels}" TIMEOUT ${NET_TEST_TIMEOUT})
endfunction()
function(net_tests)
  foreach(file IN LISTS ARGN)
    net_add_test_file("${file}" "${NET_STEP}" "")
  endforeach()
  if(NET_EXTRA_TESTS_DIR)
    file(GLOB extra CONFIGURE_DEPENDS "${NET_EXTRA_TESTS_DIR}/*_test.cc")
    foreach(file IN LISTS extra)
      net_add_test_file("${file}" "${NET_STEP};extra" "extra.")
    endforeach()
  endif()
endfunction()
EOF
  printf 'BasedOnStyle: Google\n' >"$r/.clang-format"

  # step01_alpha: one region (add), one test that catches it and one that does not.
  local s=$r/step01_alpha
  mkdir -p "$s/src" "$s/tests"
  cat >"$s/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
get_filename_component(step "${CMAKE_CURRENT_SOURCE_DIR}" NAME)
project(${step} LANGUAGES CXX)
include("${CMAKE_CURRENT_SOURCE_DIR}/../cmake/NetStep.cmake")
net_step()
net_library(src/Adder.cc)
net_tests(tests/adder_test.cc tests/zero_test.cc)
EOF
  cat >"$s/src/Adder.h" <<'EOF'
#pragma once
namespace net {
int add(int a, int b);
}
EOF
  cat >"$s/src/Adder.cc" <<'EOF'
#include "Adder.h"

namespace net {

//! [add]
int add(int a, int b) {
  // STUDENT-BEGIN(add): return the sum of a and b
  // STUDENT-STUB: (void)a;
  // STUDENT-STUB: (void)b;
  // STUDENT-STUB: return 0;
  return a + b;
  // STUDENT-END(add)
}
//! [add]

}  // namespace net
EOF
  cat >"$s/tests/adder_test.cc" <<'EOF'
#include "Adder.h"
int main() { return net::add(2, 3) == 5 ? 0 : 1; }
EOF
  cat >"$s/tests/zero_test.cc" <<'EOF'
#include "Adder.h"
int main() { return net::add(0, 0) == 0 ? 0 : 1; }
EOF
  # Build artefacts and editor files that no tool may look at.
  mkdir -p "$s/build/CMakeFiles" "$s/build-asan"
  echo junk >"$s/build/CMakeFiles/x.o"
  echo junk >"$s/build-asan/y"
  echo junk >"$s/src/Adder.o"
  echo junk >"$s/src/Adder.cc~"
  echo junk >"$s/src/.Adder.cc.swp"
  echo '[]' >"$s/compile_commands.json"

  # step02_beta: step01 + Mul (new), one line of Adder.cc changed, zero_test.cc gone.
  local t=$r/step02_beta
  mkdir -p "$t/src" "$t/tests"
  cp "$s/src/Adder.h" "$s/src/Adder.cc" "$t/src/"
  cp "$s/tests/adder_test.cc" "$t/tests/"
  sed -i 's|^namespace net {$|namespace net {  // beta|' "$t/src/Adder.cc"
  sed -e 's|net_library(src/Adder.cc)|net_library(src/Adder.cc src/Mul.cc)|' \
      -e 's|net_tests(.*)|net_tests(tests/adder_test.cc tests/mul_test.cc)|' \
      "$s/CMakeLists.txt" >"$t/CMakeLists.txt"
  cat >"$t/src/Mul.h" <<'EOF'
#pragma once
namespace net {
int mul(int a, int b);
}
EOF
  cat >"$t/src/Mul.cc" <<'EOF'
#include "Mul.h"

#include <chrono>
#include <thread>

namespace net {

int mul(int a, int b) {
  //! [mul]
  // STUDENT-BEGIN(mul): multiply; the stub sleeps so that a test times out
  // STUDENT-STUB: std::this_thread::sleep_for(std::chrono::seconds(20));
  // STUDENT-STUB: return a + b;
  return a * b;
  // STUDENT-END(mul)
  //! [mul]
}

}  // namespace net
EOF
  cat >"$t/tests/mul_test.cc" <<'EOF'
#include "Mul.h"
int main() { return net::mul(3, 4) == 12 ? 0 : 1; }
EOF
  mkdir -p "$t/build"
  echo other-junk >"$t/build/z.o"

  # step03_bad: every kind of marker error.
  local b=$r/step03_bad
  mkdir -p "$b/src"
  cp "$s/CMakeLists.txt" "$b/"
  cat >"$b/src/Bad.cc" <<'EOF'
int f() {
  // STUDENT-BEGIN(outer): outer
  // STUDENT-BEGIN(inner): inner
  return 1;
  // STUDENT-END(outer)
}
// STUDENT-END(lonely)
// STUDENT-STUB: return 2;
int g() {
  // STUDENT-BEGIN(g): g
  return 3;
  // STUDENT-END(h)
}
int h() {  // STUDENT-BEGIN
  return 4;
}
int k() {
  // STUDENT-BEGIN(dup): first
  return 5;
  // STUDENT-END(dup)
}
EOF
  cat >"$b/src/More.cc" <<'EOF'
int m() {
  // STUDENT-BEGIN(dup): second
  return 6;
  // STUDENT-END(dup)
}
int n() {
  // STUDENT-BEGIN(open): never closed
  return 7;
}
EOF

  # step04_untested: the stub still passes every test.
  local u=$r/step04_untested
  cp -r "$s" "$u"
  rm -rf "$u/build" "$u/build-asan"
  sed -i 's|STUDENT-STUB: return 0;|STUDENT-STUB: return a + b;|' "$u/src/Adder.cc"

  # step05_broken: the stub does not compile.
  local k=$r/step05_broken
  cp -r "$u" "$k"
  sed -i 's|STUDENT-STUB: return a + b;|STUDENT-STUB: return undeclared;|' "$k/src/Adder.cc"

  # Notes: one chapter with stale blocks, one with errors.
  cat >"$r/notes/01-alpha.md" <<'EOF'
# Alpha

<!-- diffstat: step01_alpha step02_beta -->
<!-- /diffstat -->

The function, without its markers:

<!-- listing: step01_alpha/src/Adder.cc add -->
```cpp
int add(int a, int b) { return 42; }
```
<!-- /listing -->

- In a list item:

  <!-- listing: step02_beta/src/Mul.cc mul -->
  <!-- /listing -->

````markdown
<!-- listing: this/is/only/an/example.cc -->
<!-- /listing -->
````

<!-- listing: step01_alpha/CMakeLists.txt -->
<!-- /listing -->
EOF
  cat >"$r/notes/02-bad.md" <<'EOF'
# Bad

<!-- listing: step01_alpha/src/Missing.cc -->
<!-- /listing -->

<!-- listing: step01_alpha/src/Adder.cc nosuchmarker -->
<!-- /listing -->

<!-- diffstat: step01_alpha step09_nothere -->
<!-- /diffstat -->

<!-- listing: step01_alpha/src/Adder.h -->
```cpp
stale
```
EOF
  printf '# Assignment 1\n\nWrite `add`.\n' >"$r/notes/assignments/step01.md"
}
