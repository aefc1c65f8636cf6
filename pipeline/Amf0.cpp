#include "pipeline/Amf0.hpp"

#include <cstring>

namespace pipeline {

namespace {

constexpr int kMaxDepth = 16;
constexpr size_t kMaxItems = 4096;

class Reader {
public:
    Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
    bool done() const { return pos_ >= n_; }
    uint8_t u8() {
        need(1);
        return d_[pos_++];
    }
    uint16_t u16() {
        need(2);
        uint16_t v = uint16_t(d_[pos_] << 8 | d_[pos_ + 1]);
        pos_ += 2;
        return v;
    }
    uint32_t u32() {
        need(4);
        uint32_t v = uint32_t(d_[pos_]) << 24 | uint32_t(d_[pos_ + 1]) << 16 |
                     uint32_t(d_[pos_ + 2]) << 8 | d_[pos_ + 3];
        pos_ += 4;
        return v;
    }
    double f64() {
        need(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = bits << 8 | d_[pos_ + i];
        pos_ += 8;
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }
    std::string bytes(size_t len) {
        need(len);
        std::string s(reinterpret_cast<const char*>(d_ + pos_), len);
        pos_ += len;
        return s;
    }
    bool peekObjectEnd() const {
        return pos_ + 3 <= n_ && d_[pos_] == 0 && d_[pos_ + 1] == 0 && d_[pos_ + 2] == 9;
    }
    void skip(size_t n) {
        need(n);
        pos_ += n;
    }

private:
    void need(size_t k) const {
        if (k > n_ - pos_) throw Amf0Error("AMF0: truncated value");
    }
    const uint8_t* d_;
    size_t n_, pos_ = 0;
};

Amf0Value readValue(Reader& r, int depth);

void readProperties(Reader& r, std::map<std::string, Amf0Value>& out, int depth) {
    for (size_t i = 0;; ++i) {
        if (i > kMaxItems) throw Amf0Error("AMF0: too many properties");
        if (r.peekObjectEnd()) {
            r.skip(3);
            return;
        }
        std::string key = r.bytes(r.u16());
        out[key] = readValue(r, depth + 1);
    }
}

Amf0Value readValue(Reader& r, int depth) {
    if (depth > kMaxDepth) throw Amf0Error("AMF0: nested too deeply");
    Amf0Value v;
    uint8_t marker = r.u8();
    switch (marker) {
        case 0:
            v.type = Amf0Value::Type::Number;
            v.number = r.f64();
            break;
        case 1:
            v.type = Amf0Value::Type::Boolean;
            v.boolean = r.u8() != 0;
            break;
        case 2:
            v.type = Amf0Value::Type::String;
            v.string = r.bytes(r.u16());
            break;
        case 3:
            v.type = Amf0Value::Type::Object;
            readProperties(r, v.object, depth);
            break;
        case 5:
            v.type = Amf0Value::Type::Null;
            break;
        case 6:
            v.type = Amf0Value::Type::Undefined;
            break;
        case 8:  // ECMA array: a count (advisory) then properties like an object
            r.u32();
            v.type = Amf0Value::Type::Object;
            readProperties(r, v.object, depth);
            break;
        case 10: {
            uint32_t n = r.u32();
            if (n > kMaxItems) throw Amf0Error("AMF0: array too long");
            v.type = Amf0Value::Type::Array;
            for (uint32_t i = 0; i < n; ++i) v.array.push_back(readValue(r, depth + 1));
            break;
        }
        case 11:
            v.type = Amf0Value::Type::Number;
            v.number = r.f64();
            r.u16();
            break;  // date, tz
        case 12: {
            uint32_t len = r.u32();
            v.type = Amf0Value::Type::String;
            v.string = r.bytes(len);
            break;
        }
        default:
            throw Amf0Error("AMF0: unsupported type marker " + std::to_string(marker));
    }
    return v;
}

void putU16(std::string& o, uint16_t v) {
    o.push_back(char(v >> 8));
    o.push_back(char(v));
}

void putString(std::string& o, const std::string& s) {
    putU16(o, uint16_t(std::min<size_t>(s.size(), 0xffff)));
    o.append(s, 0, std::min<size_t>(s.size(), 0xffff));
}

}  // namespace

std::string Amf0Value::field(const std::string& key) const {
    auto it = object.find(key);
    return it != object.end() && it->second.type == Type::String ? it->second.string
                                                                 : std::string();
}

std::vector<Amf0Value> decodeAmf0(const uint8_t* data, size_t size) {
    Reader r(data, size);
    std::vector<Amf0Value> out;
    while (!r.done()) {
        if (out.size() > kMaxItems) throw Amf0Error("AMF0: too many values");
        out.push_back(readValue(r, 0));
    }
    return out;
}

void encodeAmf0(const Amf0Value& v, std::string& out) {
    switch (v.type) {
        case Amf0Value::Type::Number: {
            out.push_back(0);
            uint64_t bits;
            std::memcpy(&bits, &v.number, sizeof bits);
            for (int i = 7; i >= 0; --i) out.push_back(char(bits >> (8 * i)));
            break;
        }
        case Amf0Value::Type::Boolean:
            out.push_back(1);
            out.push_back(v.boolean ? 1 : 0);
            break;
        case Amf0Value::Type::String:
            out.push_back(2);
            putString(out, v.string);
            break;
        case Amf0Value::Type::Object:
            out.push_back(3);
            for (auto& [k, val] : v.object) {
                putString(out, k);
                encodeAmf0(val, out);
            }
            out.append("\x00\x00\x09", 3);
            break;
        case Amf0Value::Type::Array:
            out.push_back(10);
            for (int i = 3; i >= 0; --i) out.push_back(char(v.array.size() >> (8 * i)));
            for (auto& e : v.array) encodeAmf0(e, out);
            break;
        case Amf0Value::Type::Undefined:
            out.push_back(6);
            break;
        case Amf0Value::Type::Null:
            out.push_back(5);
            break;
    }
}

}  // namespace pipeline
