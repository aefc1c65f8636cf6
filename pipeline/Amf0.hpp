#pragma once
// AMF0 (Adobe Action Message Format 0), the encoding of RTMP commands: enough to read
// connect/createStream/publish/... and to write their replies. Parsing is against the
// explicit length, bounded in depth and size; malformed input throws Amf0Error.
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pipeline {

class Amf0Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Amf0Value {
    enum class Type { Number, Boolean, String, Object, Null, Undefined, Array };
    Type type = Type::Null;
    double number = 0;
    bool boolean = false;
    std::string string;
    std::map<std::string, Amf0Value> object;  // Object and ECMA array
    std::vector<Amf0Value> array;             // strict array

    static Amf0Value num(double v) {
        Amf0Value a;
        a.type = Type::Number;
        a.number = v;
        return a;
    }
    static Amf0Value str(std::string v) {
        Amf0Value a;
        a.type = Type::String;
        a.string = std::move(v);
        return a;
    }
    static Amf0Value null() { return {}; }
    static Amf0Value obj(std::map<std::string, Amf0Value> o) {
        Amf0Value a;
        a.type = Type::Object;
        a.object = std::move(o);
        return a;
    }

    // The string at key of an object, or "" (commands use optional string fields).
    std::string field(const std::string& key) const;
};

// Decodes every value in [data, data+size).
std::vector<Amf0Value> decodeAmf0(const uint8_t* data, size_t size);
void encodeAmf0(const Amf0Value& v, std::string& out);

}  // namespace pipeline
