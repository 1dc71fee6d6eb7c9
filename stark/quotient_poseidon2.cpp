// SIMD quotient evaluation of poseidon2_air (see stark/quotient.hpp and quotient_kernel-inl.h).

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "quotient_poseidon2.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "air/poseidon2_air.hpp"
#include "hwy/highway.h"
#include "stark/quotient_kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ciro::stark::HWY_NAMESPACE {

void poseidon2_quotient4(const quotient_inputs& in, std::span<const field::babybear4> alpha_powers,
                         kernels::matrix_view<field::babybear> out) {
  quotient_simd::evaluate<field::babybear4>(air::poseidon2_air{}, in, alpha_powers, out);
}
void poseidon2_quotient5(const quotient_inputs& in, std::span<const field::babybear5> alpha_powers,
                         kernels::matrix_view<field::babybear> out) {
  quotient_simd::evaluate<field::babybear5>(air::poseidon2_air{}, in, alpha_powers, out);
}

}  // namespace ciro::stark::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ciro::stark {

HWY_EXPORT(poseidon2_quotient4);
HWY_EXPORT(poseidon2_quotient5);

void evaluate_quotient_packed(const air::poseidon2_air&, const quotient_inputs& in,
                              std::span<const field::babybear4> alpha_powers,
                              kernels::matrix_view<field::babybear> out) {
  HWY_DYNAMIC_DISPATCH(poseidon2_quotient4)(in, alpha_powers, out);
}
void evaluate_quotient_packed(const air::poseidon2_air&, const quotient_inputs& in,
                              std::span<const field::babybear5> alpha_powers,
                              kernels::matrix_view<field::babybear> out) {
  HWY_DYNAMIC_DISPATCH(poseidon2_quotient5)(in, alpha_powers, out);
}

}  // namespace ciro::stark
#endif  // HWY_ONCE
