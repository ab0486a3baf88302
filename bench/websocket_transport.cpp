#include "websocket_transport.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "failure.hpp"

namespace bench {

namespace {

constexpr std::string_view websocket_guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t max_response_head = 16 * 1024;
constexpr std::size_t max_control_payload = 125;

enum Opcode : unsigned char {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Cryptographically random bytes, drawn from OpenSSL a pool at a time: a masking key
// per frame without a RAND_bytes call per frame. One pool: the loop is one thread.
class RandomPool {
 public:
  void fill(unsigned char* out, std::size_t size) {
    while (size > 0) {
      if (used_ == pool_.size()) {
        if (RAND_bytes(pool_.data(), static_cast<int>(pool_.size())) != 1) {
          throw Failure(exit_setup, "RAND_bytes failed");
        }
        used_ = 0;
      }
      std::size_t n = std::min(size, pool_.size() - used_);
      std::memcpy(out, pool_.data() + used_, n);
      used_ += n;
      out += n;
      size -= n;
    }
  }

 private:
  std::array<unsigned char, 4096> pool_{};
  std::size_t used_ = pool_.size();
};

RandomPool random_pool;

std::string base64(const unsigned char* bytes, std::size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');  // and EVP_EncodeBlock's NUL
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// What the server must answer in Sec-WebSocket-Accept for `key` (RFC 6455 4.2.2).
std::string expected_accept(std::string_view key) {
  std::string keyed(key);
  keyed += websocket_guid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(keyed.data()), keyed.size(), digest);
  return base64(digest, sizeof digest);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// One masked frame (a client's frames are always masked), FIN set.
void append_frame(std::string& wire, unsigned char opcode, std::string_view payload) {
  std::uint64_t size = payload.size();
  wire.push_back(static_cast<char>(0x80 | opcode));
  if (size < 126) {
    wire.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    wire.push_back(static_cast<char>(0x80 | 126));
    for (int shift = 8; shift >= 0; shift -= 8) wire.push_back(static_cast<char>(size >> shift));
  } else {
    wire.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) wire.push_back(static_cast<char>(size >> shift));
  }
  std::array<unsigned char, 4> mask{};
  random_pool.fill(mask.data(), mask.size());
  wire.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  std::size_t start = wire.size();
  wire.append(payload);
  char* out = wire.data() + start;
  for (std::size_t i = 0; i < payload.size(); ++i) out[i] = static_cast<char>(out[i] ^ mask[i & 3]);
}

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(const std::string& host, const std::string& path) {
    std::array<unsigned char, 16> nonce{};
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
      throw Failure(exit_setup, "RAND_bytes failed");
    }
    key_ = base64(nonce.data(), nonce.size());
    request_ = fmt::format(
        "GET {} HTTP/1.1\r\n"
        "Host: {}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: {}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n",
        path, host, key_);
  }

  void start(std::string& wire) override { wire += request_; }

  bool ready() const noexcept override { return open_; }

  // One text frame per line, the LF included.
  void encode(std::string_view lines, std::string& wire) override {
    while (!lines.empty()) {
      auto end = lines.find('\n');
      std::size_t size = end == std::string_view::npos ? lines.size() : end + 1;
      append_frame(wire, text, lines.substr(0, size));
      lines.remove_prefix(size);
    }
  }

  std::string decode(std::string_view bytes, std::string& out, std::string& wire) override {
    if (open_) return take_frames(bytes, out, wire);
    head_.append(bytes);
    constexpr std::string_view http = "HTTP/";
    if (std::size_t n = std::min(head_.size(), http.size()); head_.compare(0, n, http, 0, n) != 0) {
      // Not a web server at all (say, the plain line protocol answering the request).
      return fmt::format("WebSocket upgrade: not an HTTP response: {}",
                         std::string_view(head_).substr(0, head_.find('\n')));
    }
    auto end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > max_response_head) return "WebSocket upgrade: no end to the response head";
      return {};
    }
    std::string rest = head_.substr(end + 4);
    head_.resize(end);
    if (auto error = check_response(head_); !error.empty()) return error;
    open_ = true;
    head_.clear();
    head_.shrink_to_fit();
    return take_frames(rest, out, wire);
  }

 private:
  std::string check_response(std::string_view head) const {
    auto line_end = head.find("\r\n");
    std::string_view status = head.substr(0, line_end);
    if (!status.starts_with("HTTP/1.1 101")) {
      return fmt::format("WebSocket upgrade refused: {}", status);
    }
    head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
    bool accepted = false;
    while (!head.empty()) {
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      head.remove_prefix(line_end == std::string_view::npos ? head.size() : line_end + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      if (iequals(trim(line.substr(0, colon)), "Sec-WebSocket-Accept")) {
        if (trim(line.substr(colon + 1)) != expected_accept(key_)) {
          return "WebSocket upgrade: wrong Sec-WebSocket-Accept";
        }
        accepted = true;
      }
    }
    if (!accepted) return "WebSocket upgrade: no Sec-WebSocket-Accept";
    return {};
  }

  // Server frames, unmasked: text (maybe fragmented), ping, pong, close.
  std::string take_frames(std::string_view bytes, std::string& out, std::string& wire) {
    while (!bytes.empty()) {
      if (!in_payload_) {
        std::size_t n = std::min(header_needed_ - header_size_, bytes.size());
        std::memcpy(header_.data() + header_size_, bytes.data(), n);
        header_size_ += n;
        bytes.remove_prefix(n);
        if (header_size_ < header_needed_) continue;
        if (auto error = begin_frame(); !error.empty()) return error;
        if (!in_payload_ && header_size_ != 0) continue;  // the header's length is still to come
        if (payload_left_ == 0) {
          if (auto error = end_frame(out, wire); !error.empty()) return error;
        }
        continue;
      }
      std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size()));
      std::string_view chunk = bytes.substr(0, n);
      if (opcode_ == text || opcode_ == continuation) {
        out.append(chunk);
        message_bytes_ += n;
        last_byte_ = chunk.back();
      } else {
        control_.append(chunk);
      }
      payload_left_ -= n;
      bytes.remove_prefix(n);
      if (payload_left_ == 0) {
        if (auto error = end_frame(out, wire); !error.empty()) return error;
      }
    }
    return {};
  }

  // The header is complete (or its first two bytes are, and they ask for more).
  std::string begin_frame() {
    unsigned char first = header_[0], second = header_[1];
    if (header_size_ == 2) {
      if (first & 0x70) return "WebSocket: a server frame with RSV bits set";
      if (second & 0x80) return "WebSocket: a masked server frame";
      unsigned char length = second & 0x7F;
      std::size_t extra = length == 126 ? 2 : length == 127 ? 8 : 0;
      if (extra != 0) {
        header_needed_ = 2 + extra;
        return {};
      }
    }
    std::uint64_t size = second & 0x7F;
    if (header_size_ > 2) {
      size = 0;
      for (std::size_t i = 2; i < header_size_; ++i) size = size << 8 | header_[i];
    }
    fin_ = (first & 0x80) != 0;
    opcode_ = first & 0x0F;
    header_size_ = 0;
    header_needed_ = 2;
    switch (opcode_) {
      case text:
        if (in_message_) return "WebSocket: a new text message inside a fragmented one";
        in_message_ = true;
        message_bytes_ = 0;
        break;
      case continuation:
        if (!in_message_) return "WebSocket: a continuation frame with no message to continue";
        break;
      case binary:
        return "WebSocket: a binary frame (the line protocol is text)";
      case close:
      case ping:
      case pong:
        if (!fin_ || size > max_control_payload) return "WebSocket: a malformed control frame";
        control_.clear();
        break;
      default:
        return fmt::format("WebSocket: unknown opcode {}", opcode_);
    }
    in_payload_ = true;
    payload_left_ = size;
    return {};
  }

  std::string end_frame(std::string& out, std::string& wire) {
    in_payload_ = false;
    switch (opcode_) {
      case text:
      case continuation:
        if (!fin_) return {};
        in_message_ = false;
        // A message without a final LF is one line.
        if (message_bytes_ == 0 || last_byte_ != '\n') out.push_back('\n');
        return {};
      case ping:
        append_frame(wire, pong, control_);
        return {};
      case pong:
        return {};
      case close: {
        if (control_.size() < 2) return "closed by the server (WebSocket close)";
        unsigned code =
            static_cast<unsigned char>(control_[0]) << 8 | static_cast<unsigned char>(control_[1]);
        return fmt::format("closed by the server (WebSocket close {} {})", code,
                           std::string_view(control_).substr(2));
      }
      default:
        return {};
    }
  }

  std::string key_;
  std::string request_;
  std::string head_;  // the 101 response, until its blank line
  bool open_ = false;

  // The frame being read.
  std::array<unsigned char, 10> header_{};
  std::size_t header_size_ = 0;
  std::size_t header_needed_ = 2;
  bool in_payload_ = false;
  bool fin_ = false;
  unsigned char opcode_ = text;
  std::uint64_t payload_left_ = 0;
  std::string control_;  // a control frame's payload

  // The text message being read (fragments included).
  bool in_message_ = false;
  std::uint64_t message_bytes_ = 0;
  char last_byte_ = '\n';
};

class WebSocketFactory final : public TransportFactory {
 public:
  WebSocketFactory(std::string host, std::string path)
      : host_(std::move(host)), path_(std::move(path)) {}
  std::unique_ptr<Transport> make() override {
    return std::make_unique<WebSocketTransport>(host_, path_);
  }

 private:
  std::string host_;
  std::string path_;
};

}  // namespace

std::unique_ptr<TransportFactory> make_websocket_transport(std::string host, std::string path) {
  return std::make_unique<WebSocketFactory>(std::move(host), std::move(path));
}

}  // namespace bench
