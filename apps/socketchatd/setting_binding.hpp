#pragma once

// The kinds of value a setting has, each as a Binding: how CLI11 reads it (from a flag,
// the environment or the config file), how its default is shown, how it is compared,
// and how the config file spells it.

#include <chrono>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "setting_table.hpp"

namespace socketchatd::binding {

// The member a setting is read into: one of Settings' own, or one of its options.
template <class S, class Owner, class T>
auto& field(S& settings, T Owner::*member) {
  if constexpr (std::is_same_v<Owner, socketchat::ServerOptions>) {
    return settings.options.*member;
  } else {
    return settings.*member;
  }
}

template <class Member>
std::function<bool(const Settings&, const Settings&)> compare(Member member) {
  return [member](const Settings& a, const Settings& b) {
    return field(a, member) != field(b, member);
  };
}

inline std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

template <class T>
std::string plain(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

inline std::string seconds_text(std::chrono::milliseconds duration) {
  return plain(std::chrono::duration<double>(duration).count());
}

// CLI11 would read "-1" into an unsigned setting as its largest value.
inline const CLI::Validator not_negative{
    [](std::string& text) { return text.starts_with('-') ? "Value " + text + " is negative" : ""; },
    "", "NOT_NEGATIVE"};

// Upper bound for a duration: keeps the conversion to milliseconds in range.
constexpr double max_seconds = 1e9;

// A string, as given.
template <class Member>
Binding text(Member member) {
  return {[member](CLI::App& app, Settings& settings, const std::string& flag,
                   const std::string& help) {
            return app.add_option(flag, field(settings, member), help)->capture_default_str();
          },
          compare(member), [member](const Settings& s) { return quoted(field(s, member)); }};
}

// A number that is never negative.
template <class Member>
Binding number(Member member) {
  return {[member](CLI::App& app, Settings& settings, const std::string& flag,
                   const std::string& help) {
            return app.add_option(flag, field(settings, member), help)
                ->capture_default_str()
                ->check(not_negative);
          },
          compare(member), [member](const Settings& s) { return plain(field(s, member)); }};
}

// true or false.
template <class Member>
Binding boolean(Member member) {
  auto spelt = [member](const Settings& s) {
    return std::string(field(s, member) ? "true" : "false");
  };
  return {
      [member, spelt](CLI::App& app, Settings& settings, const std::string& flag,
                      const std::string& help) {
        return app.add_option(flag, field(settings, member), help)->default_str(spelt(settings));
      },
      compare(member), spelt};
}

// A duration, given in seconds (fractions allowed: 0.5), kept in milliseconds; CLI11
// does not parse std::chrono types itself.
template <class Member>
Binding seconds(Member member) {
  return {[member](CLI::App& app, Settings& settings, const std::string& flag,
                   const std::string& help) {
            auto& target = field(settings, member);
            auto store = [&target](double given) {
              target = std::chrono::round<std::chrono::milliseconds>(
                  std::chrono::duration<double>(given));
            };
            return app.add_option_function<double>(flag, store, help)
                ->default_str(seconds_text(target))
                ->check(CLI::Range(0.0, max_seconds).description(""));
          },
          compare(member), [member](const Settings& s) { return seconds_text(field(s, member)); }};
}

// Strings, repeatable, comma-separated in the environment; an empty list shows no default.
template <class Member>
Binding list(Member member) {
  return {[member](CLI::App& app, Settings& settings, const std::string& flag,
                   const std::string& help) {
            auto& target = field(settings, member);
            auto* option =
                app.add_option(flag, target, help)->delimiter(',')->capture_default_str();
            return target.empty() ? option->default_str("") : option;
          },
          compare(member),
          [member](const Settings& s) {
            std::string out;
            for (const auto& item : field(s, member))
              out += (out.empty() ? "" : ", ") + quoted(item);
            return "[" + out + "]";
          }};
}

}  // namespace socketchatd::binding
