#pragma once
// A fresh temporary directory per test, removed afterwards.
#include <stdlib.h>

#include <filesystem>
#include <string>

struct TestDir {
    std::filesystem::path path;
    TestDir() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "cb-server-test-XXXXXX").string();
        path = mkdtemp(tmpl.data());
    }
    ~TestDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};
