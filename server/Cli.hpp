#pragma once
// The `classbridge` command line: serve, demo, token, migrate (see docs/server.md).
namespace server {
int runCli(int argc, char** argv);
}
