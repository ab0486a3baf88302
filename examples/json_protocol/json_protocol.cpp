#include "json_protocol.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <socketchat/command.hpp>
#include <socketchat/reply_error.hpp>
#include <socketchat/server_message.hpp>

namespace {

using socketchat::Command;
using socketchat::DecodeHandler;
using socketchat::Flow;
using socketchat::Notice;
using socketchat::Payload;
using socketchat::ReplyError;
using socketchat::ServerMessage;
using socketchat::Verb;

// Objects keep their keys in the order written: "type" comes first.
using Object = nlohmann::ordered_json;

// ---- requests ----------------------------------------------------------------

// Each request type, and which of its fields becomes the Command's name and text.
struct Request {
  std::string_view type;
  Verb verb;
  std::string_view name_field = {};  // e.g. "to" of a dm
  std::string_view text_field = {};
};

constexpr Request requests[] = {
    {"login", Verb::login, "name"},
    {"msg", Verb::msg, {}, "text"},
    {"dm", Verb::dm, "to", "text"},
    {"join", Verb::join, "room"},
    {"part", Verb::part, "room"},
    {"say", Verb::say, "room", "text"},
    {"who", Verb::who, "room"},  // the room is optional: without it, everyone
    {"rooms", Verb::rooms},
    {"history", Verb::history, "target", "count"},  // a room, "*" or "@user"; count optional
    {"ping", Verb::ping, {}, "token"},
    {"help", Verb::help},
    {"quit", Verb::quit},
};

// Unicode characters a sender must not get onto others' screens: C0 and C1 controls
// but tab (a newline would forge a line of the line protocol), DEL, and the line
// separators and bidi controls that reorder what is shown around them.
bool is_unwanted(char32_t c) noexcept {
  return (c < 0x20 && c != '\t') || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E ||
         c == 0x200F || (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// `text` without the unwanted characters, and trimmed of spaces and tabs, in `out`. The
// server passes texts on as they come: cleaning them is each protocol's job. `text`
// is valid UTF-8 (the JSON parser refuses anything else).
std::string_view clean_text(std::string_view text, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    length = std::min(length, text.size() - i);
    char32_t c = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (text[i + k] & 0x3F);
    if (!is_unwanted(c)) out.append(text.substr(i, length));
    i += length;
  }
  std::string_view clean = out;
  const std::size_t first = clean.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return clean.substr(first, clean.find_last_not_of(" \t") - first + 1);
}

// A request's Command. Its views point into `request` and `text`, which the caller
// keeps until the server has taken the command. A number stands for its digits
// (history's count); fields missing or of another type are left empty, and the server
// answers as to any protocol's empty field (missing-argument, empty-message). JSON that
// is no object with a known type is an unknown command.
Command command_of(const nlohmann::json& request, std::string& text) {
  Command command{.verb = Verb::unknown};
  if (!request.is_object()) return command;
  auto field = [&](std::string_view key) -> const nlohmann::json* {
    auto it = key.empty() ? request.end() : request.find(key);
    return it == request.end() ? nullptr : &*it;
  };
  const nlohmann::json* type = field("type");
  if (!type || !type->is_string()) return command;
  for (const auto& r : requests) {
    if (type->get_ref<const std::string&>() != r.type) continue;
    command.verb = r.verb;
    if (const auto* name = field(r.name_field); name && name->is_string()) {
      command.name = name->get_ref<const std::string&>();
    }
    if (const auto* value = field(r.text_field); value && value->is_string()) {
      command.text = clean_text(value->get_ref<const std::string&>(), text);
    } else if (value && value->is_number()) {
      command.text = text = value->dump();  // {"type":"history",...,"count":20}
    }
    break;
  }
  return command;
}

// One connection's side: the line being received.
class JsonDecoder final : public socketchat::Decoder {
 public:
  JsonDecoder(const JsonProtocol& protocol, std::size_t max_line_bytes)
      : protocol_(protocol), max_(max_line_bytes) {}

  std::size_t feed(std::string_view bytes, DecodeHandler& handler) override;
  const socketchat::Protocol& encoder() const noexcept override { return protocol_; }

 private:
  Flow decode(std::string_view line, DecodeHandler& handler);

  const JsonProtocol& protocol_;
  std::size_t max_;
  std::string line_;       // a line whose LF has not come yet: max_ + 1 bytes at most
  bool skipping_ = false;  // inside a line refused as too long, until its LF
};

std::size_t JsonDecoder::feed(std::string_view bytes, DecodeHandler& handler) {
  std::size_t taken = 0;
  while (taken < bytes.size()) {
    std::string_view rest = bytes.substr(taken);
    std::size_t lf = rest.find('\n');
    if (skipping_) {
      if (lf == std::string_view::npos) return bytes.size();
      skipping_ = false;
      handler.on_line();  // the end of the refused line: activity all the same
      taken += lf + 1;
      continue;
    }
    if (lf == std::string_view::npos) {
      // No LF yet: keep the start of the line, unless it is already too long (one byte
      // of slack for a CR before the LF). Then refuse it now and skip the rest.
      if (line_.size() + rest.size() > max_ + 1) {
        line_.clear();
        skipping_ = true;
        handler.on_line();
        handler.on_decode_error(ReplyError::line_too_long);
      } else {
        line_.append(rest);
      }
      return bytes.size();
    }
    const std::size_t held = line_.size();
    line_.append(rest.substr(0, lf));
    Flow flow = decode(line_, handler);
    if (flow == Flow::retry) {  // not taken: it comes again with the next feed
      line_.resize(held);
      return taken;
    }
    line_.clear();
    if (line_.capacity() > 1024) line_.shrink_to_fit();  // an idle client keeps little
    taken += lf + 1;
    if (flow == Flow::stop) break;
  }
  return taken;
}

Flow JsonDecoder::decode(std::string_view line, DecodeHandler& handler) {
  handler.on_line();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > max_) {
    return handler.on_decode_error(ReplyError::line_too_long) ? Flow::next : Flow::stop;
  }
  if (line.find_first_not_of(" \t") == std::string_view::npos) return Flow::next;  // blank
  // No exceptions: anything that is not JSON (invalid UTF-8 included) is "discarded".
  auto request = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) return handler.on_reply(protocol_.invalid_json());
  std::string text;
  return handler.on_command(command_of(request, text)).flow;  // both live until it returns
}

// ---- replies -----------------------------------------------------------------

// The JSON text of `value`. Texts are passed on as their senders' protocols took them:
// should one not be valid UTF-8, it is sent with U+FFFD in its place, not thrown about.
std::string text_of(const Object& value) {
  return value.dump(-1, ' ', false, Object::error_handler_t::replace);
}

std::string line_of(const Object& object) {
  return text_of(object) + "\n";
}

Payload payload_of(const Object& object) {
  return Payload::copy_of(line_of(object));
}

// A list reply: `head`, which opens the array, then as many `entries` (each one JSON
// value) as fit in max_bytes (0: no limit) with the end of the reply, which says how
// many were left out: `],"more":<n>}`. The first entries are kept, or the last ones
// (`keep_last`, history: the latest). Made by hand, not by dump(), to know its size
// as it grows.
Payload list_reply(std::string head, const std::vector<std::string>& entries, std::size_t max_bytes,
                   bool keep_last) {
  auto end_of = [](std::size_t left) {
    return left == 0 ? std::string("]}\n") : "],\"more\":" + std::to_string(left) + "}\n";
  };
  std::size_t whole = head.size() + end_of(0).size();
  for (const auto& entry : entries) whole += entry.size() + 1;  // and a comma
  std::size_t kept = entries.size();
  if (max_bytes != 0 && whole > max_bytes) {
    // Cut short: room for the entries once the head and the longest end are counted.
    std::size_t room = max_bytes - std::min(max_bytes, head.size() + end_of(kept).size());
    std::size_t used = 0;
    for (kept = 0; kept < entries.size(); ++kept) {
      const auto& entry = entries[keep_last ? entries.size() - 1 - kept : kept];
      if (used + entry.size() + 1 > room) break;
      used += entry.size() + 1;
    }
  }
  const std::size_t first = keep_last ? entries.size() - kept : 0;
  std::string out = std::move(head);
  for (std::size_t i = first; i < first + kept; ++i) {
    if (i != first) out += ',';
    out += entries[i];
  }
  out += end_of(entries.size() - kept);
  return Payload::copy_of(out);
}

// The head of a list reply: the object without its last field's array and closing
// brace, e.g. {"type":"users","names":[
std::string list_head(Object object, const char* list_field) {
  object[list_field] = Object::array();
  std::string text = line_of(object);
  return text.substr(0, text.size() - 3);  // without "]}\n"
}

Payload encode_list(const ServerMessage& m) {
  std::vector<std::string> entries;
  switch (m.notice) {
    case Notice::user_list:
      for (auto name : m.names) entries.push_back(text_of(name));
      return list_reply(list_head({{"type", "users"}}, "names"), entries, m.max_bytes, false);
    case Notice::room_list:
      for (const auto& room : m.rooms) {
        entries.push_back(text_of({{"name", room.name}, {"members", room.members}}));
      }
      return list_reply(list_head({{"type", "rooms"}}, "rooms"), entries, m.max_bytes, false);
    default:  // history: oldest first, the latest kept
      for (const auto& r : m.history) {
        entries.push_back(text_of({{"from", r.from}, {"text", r.text}, {"time", r.unix_ms}}));
      }
      return list_reply(list_head({{"type", "history"}, {"target", m.room}}, "messages"), entries,
                        m.max_bytes, true);
  }
}

Object help_object() {
  Object list = Object::array();
  for (const auto& r : requests) {
    Object request{{"type", r.type}};
    if (!r.name_field.empty()) request[std::string(r.name_field)] = "...";
    if (!r.text_field.empty()) request[std::string(r.text_field)] = "...";
    list.push_back(request);
  }
  return {{"type", "help"}, {"requests", list}};
}

}  // namespace

JsonProtocol::JsonProtocol(std::size_t max_line_bytes)
    : max_line_bytes_(max_line_bytes),
      ok_(payload_of({{"type", "ok"}})),
      help_(payload_of(help_object())),
      invalid_json_(payload_of({{"type", "error"}, {"code", "invalid-json"}})) {}

std::unique_ptr<socketchat::Decoder> JsonProtocol::make_decoder() const {
  return std::make_unique<JsonDecoder>(*this, max_line_bytes_);
}

// Called on any thread, for a broadcast once for all who speak JSON: it depends on the
// message alone. Every Notice has its object; none is left unanswered.
Payload JsonProtocol::encode(const ServerMessage& m) const {
  // CTCP passes between IRC clients only (socketchat::MessageKind).
  if (!socketchat::is_stored_kind(m.kind)) return {};
  switch (m.notice) {
    case Notice::ok:
      return ok_;
    case Notice::help:
      return help_;
    case Notice::token:  // no JSON request asks for one (yet)
      return payload_of({{"type", "token"}, {"token", m.text}});
    case Notice::kicked:
      return payload_of(
          {{"type", "kick"}, {"room", m.room}, {"user", m.user}, {"by", m.by}, {"reason", m.text}});
    case Notice::banned:
      return payload_of({{"type", "banned"}});
    case Notice::name_taken:
      return payload_of({{"type", "name-taken"}});
    case Notice::renamed:
      return payload_of({{"type", "renamed"}, {"user", m.user}, {"name", m.text}});
    case Notice::away:  // answers to what only IRC asks (AWAY, LUSERS): nothing here
    case Notice::counts:
    case Notice::away_changed:
    case Notice::conversations:
      return {};
    case Notice::topic:  // a room's topic, told as its members see it change
    case Notice::topic_changed:
      return payload_of({{"type", "topic"}, {"room", m.room}, {"by", m.by}, {"topic", m.text}});
    case Notice::room_modes:
      return payload_of({{"type", "modes"}, {"room", m.room}, {"modes", m.text}});
    case Notice::modes_changed:
      return payload_of({{"type", "modes"}, {"room", m.room}, {"by", m.by}, {"changes", m.text}});
    case Notice::ban_list:
      return payload_of({{"type", "bans"}, {"room", m.room}, {"masks", m.names}});
    case Notice::invited:
      return payload_of({{"type", "invited"}, {"room", m.room}, {"by", m.by}});
    case Notice::error:
      return payload_of({{"type", "error"}, {"code", socketchat::code_of(m.error)}});
    case Notice::message:
      return payload_of({{"type", "msg"}, {"from", m.user}, {"text", m.text}});
    case Notice::direct_message:
      return payload_of({{"type", "dm"}, {"from", m.user}, {"text", m.text}});
    case Notice::room_message:
      return payload_of({{"type", "say"}, {"room", m.room}, {"from", m.user}, {"text", m.text}});
    case Notice::joined:
      return payload_of({{"type", "joined"}, {"room", m.room}, {"user", m.user}});
    case Notice::left:
      return payload_of({{"type", "left"}, {"room", m.room}, {"user", m.user}});
    case Notice::pong:
      return payload_of({{"type", "pong"}, {"token", m.text}});
    case Notice::user_info:  // answers to lookups this protocol does not make, spelled anyway
      return payload_of({{"type", "user"}, {"name", m.user}});
    case Notice::room_info:
      if (m.rooms.empty()) return payload_of({{"type", "room"}});
      return payload_of(
          {{"type", "room"}, {"name", m.rooms[0].name}, {"members", m.rooms[0].members}});
    case Notice::inactivity:
      return payload_of({{"type", "closing"}, {"reason", "inactivity"}});
    case Notice::shutting_down:
      return payload_of({{"type", "closing"}, {"reason", "shutting-down"}});
    case Notice::user_disconnected: {
      // One user, or several at once (names): a line each.
      std::string lines;
      if (m.names.empty()) lines = line_of({{"type", "disconnected"}, {"user", m.user}});
      for (auto name : m.names) lines += line_of({{"type", "disconnected"}, {"user", name}});
      return Payload::copy_of(lines);
    }
    case Notice::user_list:
    case Notice::room_list:
    case Notice::history:
      return encode_list(m);
  }
  return {};  // not reached: every Notice is handled above
}
