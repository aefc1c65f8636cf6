// classbridge: see server/Cli.cpp and docs/server.md.
#include "server/Cli.hpp"

int main(int argc, char** argv) {
    return server::runCli(argc, argv);
}
