// Placeholder until the server helper lands the CLI.
#include <cstdio>
int main() {
    std::puts("classbridge: not built yet");
    return 1;
}
