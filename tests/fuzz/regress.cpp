// The regression inputs (crashers and hangs found so far, and the audit's bad inputs) through every target, without
// libFuzzer: `make test` builds this with g++ and ASan/UBSan. tests/fuzz/regress/<target>/<file>; an input that
// crashes, trips a sanitizer or breaks an invariant aborts the run.
#include "targets.hpp"

#include <dirent.h>
#include <fstream>
#include <iterator>

int main(int argc, char** argv) {
    const std::string root = argc > 1 ? argv[1] : "tests/fuzz/regress";
    int files = 0;
    for (const auto& t : iftop_fuzz::kTargets) {
        const std::string dir = root + "/" + t.name;
        DIR* d = opendir(dir.c_str());
        if (!d) continue;
        std::vector<std::string> names;
        while (const dirent* e = readdir(d))
            if (e->d_name[0] != '.') names.push_back(e->d_name);
        closedir(d);
        std::sort(names.begin(), names.end());
        for (const std::string& n : names) {
            std::ifstream f(dir + "/" + n, std::ios::binary);
            const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
            t.fn(reinterpret_cast<const uint8_t*>(data.data()), data.size());
            ++files;
        }
        // and the empty input, and every one-byte input
        t.fn(nullptr, 0);
        for (int b = 0; b < 256; ++b) { const uint8_t x = uint8_t(b); t.fn(&x, 1); }
    }
    std::printf("fuzz regression: %d inputs through %zu targets, no crash, no sanitizer report\n", files,
                std::size(iftop_fuzz::kTargets));
    return files > 0 ? 0 : 1;
}
