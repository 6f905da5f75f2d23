// One libFuzzer binary per target: clang++ -fsanitize=fuzzer,address,undefined -DIFTOP_FUZZ_TARGET=decoder ...
#include "targets.hpp"

#ifndef IFTOP_FUZZ_TARGET
#error "define IFTOP_FUZZ_TARGET (decoder, input, config, lsof, procnet, pcap, flowtable, sanitiser)"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return iftop_fuzz::IFTOP_FUZZ_TARGET(data, size); }
