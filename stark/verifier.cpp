#include "stark/verifier.hpp"

namespace ciro::stark {

const char* to_string(verify_error_code code) {
  switch (code) {
    case verify_error_code::wrong_air:
      return "wrong_air";
    case verify_error_code::weak_parameters:
      return "weak_parameters";
    case verify_error_code::invalid_parameters:
      return "invalid_parameters";
    case verify_error_code::wrong_shape:
      return "wrong_shape";
    case verify_error_code::constraint_mismatch:
      return "constraint_mismatch";
    case verify_error_code::trace_opening:
      return "trace_opening";
    case verify_error_code::quotient_opening:
      return "quotient_opening";
    case verify_error_code::fri:
      return "fri";
  }
  return "unknown";
}

}  // namespace ciro::stark
