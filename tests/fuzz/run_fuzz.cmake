# Runs one fuzz target on a scratch copy of its committed corpus, so that what the fuzzer adds
# never lands in the source tree: cmake -DFUZZER=exe -DCORPUS=dir -DWORK=dir -DOPTIONS=a;b -P this.
# Fails when the fuzzer does (a crash, leak, sanitizer report, timeout or the RSS limit); the
# input that did it is then in WORK/artifacts/.
foreach(var FUZZER CORPUS WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzz.cmake needs -D${var}=...")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB seeds ${CORPUS}/*)
if(NOT seeds)
  message(FATAL_ERROR "no seeds in ${CORPUS}")
endif()
file(COPY ${seeds} DESTINATION ${WORK}/corpus)
execute_process(
  COMMAND ${FUZZER} ${OPTIONS} -artifact_prefix=${WORK}/artifacts/ ${WORK}/corpus
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input is in ${WORK}/artifacts/")
endif()
