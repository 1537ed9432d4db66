/**
 * The first-order lag shared by every thermal model of the suite (pump bearing, motor winding): a body of heat
 * capacity C behind a thermal resistance R settles exponentially at the temperature its losses hold it at.
 *
 * Exact solution of τ·dx/dt = x∞ − x over a step with x∞ held constant: x(t+dt) = x∞ + (x − x∞)·e^(−dt/τ).
 * Stable for any step, so a simulation can take hour-long steps.
 *
 * @param value state now
 * @param target value the state settles at (x∞)
 * @param dtSeconds step length (s), ≥ 0
 * @param tauSeconds time constant (s), > 0
 * @example stepFirstOrder(20, 80, 600, 600) // 20 + 60·(1 − e^−1) ≈ 57.93
 */
export function stepFirstOrder(value: number, target: number, dtSeconds: number, tauSeconds: number): number {
  return target + (value - target) * Math.exp(-dtSeconds / tauSeconds);
}
