# Build helpers shared by every layer: warnings, sanitizers and the three target kinds
# (library, test, fuzz target). One file so that a new layer or test reads like its neighbours.

include_guard(GLOBAL)

set(ALIQUOT_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined | thread | empty")
option(ALIQUOT_WERROR "Turn warnings into errors" ON)
option(ALIQUOT_FUZZ "Build libFuzzer targets (clang only)" OFF)

set(ALIQUOT_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Woverloaded-virtual -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  # STYLE.md: shared state names its guard and clang checks it.
  list(APPEND ALIQUOT_WARNINGS -Wthread-safety)
endif()
if(ALIQUOT_WERROR)
  list(APPEND ALIQUOT_WARNINGS -Werror)
endif()

set(ALIQUOT_SANITIZER_FLAGS "")
if(ALIQUOT_SANITIZE)
  set(ALIQUOT_SANITIZER_FLAGS -fsanitize=${ALIQUOT_SANITIZE} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
endif()
set(ALIQUOT_COVERAGE_FLAGS "")
if(ALIQUOT_FUZZ)
  set(ALIQUOT_COVERAGE_FLAGS -fsanitize=fuzzer-no-link)
endif()

# Applied to every target of ours, never to third-party code.
function(aliquot_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  target_compile_options(${target} PRIVATE ${ALIQUOT_WARNINGS} ${ALIQUOT_SANITIZER_FLAGS}
                                           ${ALIQUOT_COVERAGE_FLAGS})
  target_link_options(${target} PRIVATE ${ALIQUOT_SANITIZER_FLAGS})
endfunction()

# aliquot_library(<layer> SOURCES ... DEPS ...): one static library per layer. Its include root is
# src/, so every include reads "aliquot/<layer>/<file>.h" and the layer test can see the arrow.
function(aliquot_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  aliquot_target_options(${name})
endfunction()

# The PostgreSQL test cluster's state (url, datadir): written by the CTest fixture "postgres"
# (tests/CMakeLists.txt, tools/pg_test_cluster.py), read by tests/support/postgres.h. A plain
# add_test() test that needs the cluster sets FIXTURES_REQUIRED postgres and the environment
# ALIQUOT_TEST_POSTGRES_URL_FILE=${ALIQUOT_POSTGRES_STATE_DIR}/url itself.
set(ALIQUOT_POSTGRES_STATE_DIR ${PROJECT_BINARY_DIR}/postgres-test-cluster)

# aliquot_test(<name> SOURCES ... DEPS ... [LABELS ...] [TIMEOUT s] [POSTGRES]): a GoogleTest
# binary whose tests CTest lists one by one, so a failure names the sentence that failed.
# POSTGRES: its tests need the PostgreSQL test cluster. CTest starts it first (fixture "postgres")
# and passes ALIQUOT_TEST_POSTGRES_URL_FILE; link aliquot_test_postgres to read it.
function(aliquot_test name)
  cmake_parse_arguments(ARG "POSTGRES" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} aliquot_test_support GTest::gtest GTest::gtest_main)
  aliquot_target_options(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # An empty LABELS value would vanish from the PROPERTIES list below and shift every property
  # after it by one; every test has a label.
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  set(postgres_properties "")
  if(ARG_POSTGRES)
    # ENVIRONMENT_MODIFICATION, not a second ENVIRONMENT entry: gtest_discover_tests flattens
    # PROPERTIES, which would split a two-entry ENVIRONMENT list into two properties.
    set(postgres_properties FIXTURES_REQUIRED postgres ENVIRONMENT_MODIFICATION
        "ALIQUOT_TEST_POSTGRES_URL_FILE=set:${ALIQUOT_POSTGRES_STATE_DIR}/url")
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "RC_PARAMS=seed=20261121" ${postgres_properties})
endfunction()

# aliquot_fuzz(<name> SOURCE <file> DEPS ... SECONDS <n>): a libFuzzer target that CTest runs for a
# bounded time, starting from the seed corpus in tests/fuzz/corpus/<name>.
function(aliquot_fuzz name)
  cmake_parse_arguments(ARG "" "SOURCE;SECONDS" "DEPS" ${ARGN})
  if(NOT ALIQUOT_FUZZ)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCE})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  aliquot_target_options(${name})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set(corpus ${PROJECT_BINARY_DIR}/fuzz-corpus/${name})
  file(MAKE_DIRECTORY ${corpus})
  add_test(NAME fuzz.${name}
    COMMAND ${name} -max_total_time=${ARG_SECONDS} -timeout=10 -rss_limit_mb=2048
            -print_final_stats=1 ${corpus} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()

# A second build of unchanged sources is a cache hit (the README promises a fast second run).
find_program(ALIQUOT_CCACHE ccache)
if(ALIQUOT_CCACHE)
  set(CMAKE_C_COMPILER_LAUNCHER ${ALIQUOT_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${ALIQUOT_CCACHE})
endif()
