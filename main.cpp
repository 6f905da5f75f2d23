// iftop — the command-line tool. Everything lives in iftop.hpp; this file only instantiates it.
#define IFTOP_IMPLEMENTATION
#include "iftop.hpp"

int main(int argc, char** argv) { return iftop::main(argc, argv); }
