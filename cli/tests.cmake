# SPDX-License-Identifier: GPL-2.0-or-later
# ctest for the buddycheck command (included by CMakeLists.txt here when BUDDYCHECK_TESTS).

# The committed rule table holds for alloc/ (docs/rules.md); the proposal's diff runs.
add_test(NAME sanitize_check COMMAND buddycheck sanitize-check ${CMAKE_SOURCE_DIR}/rules/alloc_flags.rules)
add_test(NAME sanitize_check_diff
         COMMAND buddycheck sanitize-check ${CMAKE_SOURCE_DIR}/rules/alloc_flags.rules
                 --diff ${CMAKE_SOURCE_DIR}/rules/proposals/cma_reject.rules)
# Version bytes: an input keeps decoding to the machine it was found on (decode.h).
# Bytes "\0\2" pick the ops decoder's single-zone shape; alloc_flags has one machine.
foreach(v 1 2)
  math(EXPR ops_pages "2048 / ${v}")
  math(EXPR normal_pages "512 / (${v} * 2)")
  add_test(NAME decode_version_${v}_ops
           COMMAND sh -c "printf '\\00${v}\\000\\002' > \"$1\" && \"$0\" explain --target ops \"$1\" | grep -qx \"zone 0 Normal start=0x0 pages=$2\""
                   $<TARGET_FILE:buddycheck> ${CMAKE_CURRENT_BINARY_DIR}/version_${v}.ops ${ops_pages})
  add_test(NAME decode_version_${v}_alloc_flags
           COMMAND sh -c "printf '\\00${v}\\000\\000' > \"$1\" && \"$0\" explain --target alloc_flags \"$1\" | grep -qx \"zone 0 Normal start=0x[0-9a-f]* pages=$2\""
                   $<TARGET_FILE:buddycheck> ${CMAKE_CURRENT_BINARY_DIR}/version_${v}.alloc_flags ${normal_pages})
endforeach()
# A file that is not a rule table (here: the diff's golden output) exits 2.
add_test(NAME sanitize_check_malformed
         COMMAND sh -c "\"$0\" sanitize-check \"$1\"; test $? -eq 2" $<TARGET_FILE:buddycheck>
                 ${CMAKE_SOURCE_DIR}/rules/proposals/cma_reject.diff)

# Every hand-written trace runs clean with every oracle.
file(GLOB BUDDYCHECK_TRACES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/corpus/traces/*.trace)
foreach(trace ${BUDDYCHECK_TRACES})
  get_filename_component(name ${trace} NAME_WE)
  add_test(NAME trace_${name} COMMAND buddycheck run --twice ${trace})
endforeach()
