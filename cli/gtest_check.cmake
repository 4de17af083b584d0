# SPDX-License-Identifier: GPL-2.0-or-later
# ctest script (cmake -P): `buddycheck gtest` writes a test from INPUT, the compiler
# builds it twice - against the broken allocator of a mutant (MUTANT_OBJECTS) and
# against the real one - and the two binaries must disagree as the input does: the
# mutant build fails with the finding EXPECT names, the real one passes.
#
#   -DBUDDYCHECK=<the mutant-linked buddycheck> -DINPUT=<file> -DWORK=<dir>
#   -DCXX=<compiler> -DCXXFLAGS=<;-list> -DINCLUDES=<;-list> -DLIBS=<;-list>
#   -DMUTANT_OBJECTS=<;-list> -DLDFLAGS=<;-list> -DEXPECT=<finding id>
foreach(v BUDDYCHECK INPUT WORK CXX LIBS MUTANT_OBJECTS EXPECT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "gtest_check.cmake: -D${v}=... is missing")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(rc ${rc} PARENT_SCOPE)
  set(out "${out}${err}" PARENT_SCOPE)
  message(STATUS "${what}: exit ${rc}")
endfunction()

# A failed run must leave nothing behind: the output exists only after success.
run("buddycheck gtest on a missing input" ${BUDDYCHECK} gtest -o ${WORK}/missing_test.cc
    ${WORK}/no-such-input)
if(NOT rc EQUAL 2 OR EXISTS ${WORK}/missing_test.cc)
  message(FATAL_ERROR "a failed gtest run must exit 2 and write nothing (exit ${rc}):\n${out}")
endif()

run("buddycheck gtest" ${BUDDYCHECK} gtest -o ${WORK}/regression_test.cc ${INPUT})
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "buddycheck gtest failed:\n${out}")
endif()
file(GLOB leftovers ${WORK}/*partial*)
if(leftovers)
  message(FATAL_ERROR "temporary files left behind: ${leftovers}")
endif()

set(inc)
foreach(i ${INCLUDES})
  list(APPEND inc -I${i})
endforeach()
run("compile" ${CXX} ${CXXFLAGS} ${inc} -c ${WORK}/regression_test.cc -o ${WORK}/regression_test.o)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generated test does not compile:\n${out}")
endif()
run("link against the mutant" ${CXX} ${WORK}/regression_test.o ${MUTANT_OBJECTS} ${LIBS} ${LDFLAGS}
    -o ${WORK}/mutant_test)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generated test does not link:\n${out}")
endif()
run("link against alloc/" ${CXX} ${WORK}/regression_test.o ${LIBS} ${LDFLAGS} -o ${WORK}/real_test)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generated test does not link:\n${out}")
endif()

# gtest exits 1 on a failed test (3 would be a sanitizer report: a crash, not a failure).
run("the test against the mutant" ${WORK}/mutant_test)
if(NOT rc EQUAL 1 OR NOT out MATCHES "${EXPECT}" OR NOT out MATCHES "\\[  FAILED  \\] regression\\.")
  message(FATAL_ERROR "against the mutant the test must fail with ${EXPECT} (exit ${rc}):\n${out}")
endif()
run("the test against alloc/" ${WORK}/real_test)
if(NOT rc EQUAL 0 OR NOT out MATCHES "\\[  PASSED  \\] 1 test")
  message(FATAL_ERROR "against the real allocator the test must pass (exit ${rc}):\n${out}")
endif()
message(STATUS "the generated test fails with ${EXPECT} on the mutant and passes on alloc/")
