// Included without IFTOP_IMPLEMENTATION: the public half must compile alone (standard headers only) and link
// against the one translation unit that has the implementation.
#include "../iftop.hpp"

#ifdef PCAP_ERRBUF_SIZE
#error "the public half of iftop.hpp must not include pcap.h"
#endif

std::string second_tu_protocol_name(uint8_t p) { return iftop::protocol_name(p); }
std::string second_tu_format(double v) { return iftop::format_rate(v, false); }
