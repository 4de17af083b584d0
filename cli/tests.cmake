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

# `buddycheck gtest` writes a test that builds and fails as its input does: from a text
# trace and from a fuzz input, both findings of the EXPAND_WRONG_LIST mutant, compiled
# here against the mutant (must fail with INV-HYGIENE) and against alloc/ (must pass).
if(BUDDYCHECK_MUTANTS)
  set(gt_cxxflags -std=c++20 -O1 -g)
  set(gt_ldflags -lpthread)
  set(gt_objects)
  if(BUDDYCHECK_SANITIZE)
    list(APPEND gt_cxxflags -fsanitize=address,undefined -fno-sanitize-recover=undefined)
    list(APPEND gt_ldflags -fsanitize=address,undefined)
    set(gt_objects "$<TARGET_OBJECTS:buddycheck_sanitizer_options>")
  endif()
  set(gt_libs "${gt_objects};$<TARGET_FILE:buddycheck_fuzz>;$<TARGET_FILE:buddycheck_drive>;"
              "$<TARGET_FILE:buddycheck_oracles>;$<TARGET_FILE:buddycheck_alloc>;"
              "$<TARGET_FILE:fmt::fmt>;$<TARGET_FILE:GTest::gtest_main>;$<TARGET_FILE:GTest::gtest>")
  string(REPLACE ";;" ";" gt_libs "${gt_libs}")
  foreach(input expand_wrong_list.trace ops-expand_wrong_list)
    string(MAKE_C_IDENTIFIER ${input} id)
    add_test(NAME gtest_from_${id}
             COMMAND ${CMAKE_COMMAND}
                     -DBUDDYCHECK=$<TARGET_FILE:buddycheck-expand-wrong-list>
                     -DINPUT=${PROJECT_SOURCE_DIR}/corpus/mutants/${input}
                     -DWORK=${CMAKE_CURRENT_BINARY_DIR}/gtest_${id}
                     -DCXX=${CMAKE_CXX_COMPILER}
                     "-DCXXFLAGS=${gt_cxxflags}"
                     "-DINCLUDES=${PROJECT_SOURCE_DIR};${CMAKE_BINARY_DIR}/fdp"
                     "-DLIBS=${gt_libs}"
                     "-DLDFLAGS=${gt_ldflags}"
                     "-DMUTANT_OBJECTS=$<TARGET_OBJECTS:mutant_expand_wrong_list_alloc>"
                     -DEXPECT=INV-HYGIENE
                     -P ${CMAKE_CURRENT_SOURCE_DIR}/gtest_check.cmake)
    set_tests_properties(gtest_from_${id} PROPERTIES LABELS cli)
  endforeach()
endif()

# The command as a user meets it (cli_test.sh): messages, exit codes, help, progress,
# limits. Each case is its own test.
if(BUDDYCHECK_MUTANTS)
  foreach(case unknown_subcommand unknown_option did_you_mean_gfp file_errors_say_why
               flag_not_blamed_on_file sanitize_check_default_rules help
               progress_on_terminal_only progress_long_properties dump_labels replay_names_binary runner_errors_name_line
               fuzz_inputs_name_file memory_limit allocation_failure_exits_2 long_trace_streams
               gtest_needs_output)
    add_test(NAME cli.${case}
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh ${case} $<TARGET_FILE:buddycheck>
                     $<TARGET_FILE:buddycheck-expand-wrong-list> ${PROJECT_SOURCE_DIR})
    set_tests_properties(cli.${case} PROPERTIES LABELS cli)
  endforeach()
endif()

# ci/fuzzer-flags knows the targets: an unknown one exits 2 and lists them.
add_test(NAME ci.fuzzer_flags_unknown_target
         COMMAND sh -c "\"$0\" opss 2>&1 >/dev/null | grep -qx \"ci/fuzzer-flags: unknown target 'opss' (targets: alloc_flags ops trace zonelist)\" && { \"$0\" opss 2>/dev/null; test $? -eq 2; } && \"$0\" ops | grep -q -- -max_len="
                 ${PROJECT_SOURCE_DIR}/ci/fuzzer-flags)

# Every command in README.md runs as written (readme_commands.sh extracts them).
if(BUDDYCHECK_MUTANTS)
  add_test(NAME readme_commands
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/readme_commands.sh ${PROJECT_SOURCE_DIR}
                   ${CMAKE_BINARY_DIR})
  set_tests_properties(readme_commands PROPERTIES LABELS cli)
endif()
