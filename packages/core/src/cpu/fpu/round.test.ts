// The host-double helpers against their definitions: neighbouring doubles, ldexp's single
// rounding into the subnormals, and exponents.
import { describe, expect, it } from "vitest";
import { exponentOf, ldexp, nextDown, nextUp, pow2 } from "./round.ts";

describe("host-double helpers", () => {
  it("nextUp and nextDown step one unit, through zero and into infinity", () => {
    expect(nextUp(0)).toBe(5e-324);
    expect(nextDown(0)).toBe(-5e-324);
    expect(nextUp(-5e-324)).toBe(-0);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextDown(1)).toBe(1 - Number.EPSILON / 2);
  });
  it("ldexp rounds once, also into the subnormals", () => {
    expect(ldexp(1.5, -1074)).toBe(2 * 5e-324); // 1.5 ulp rounds to even: 2
    expect(ldexp(1, 1024)).toBe(Infinity);
    expect(ldexp(Math.pow(2, 1000), -2000)).toBe(Math.pow(2, -1000));
    expect(exponentOf(5e-324)).toBe(-1074);
    expect(exponentOf(-3)).toBe(1);
  });
  it("pow2 is exact over the double range and saturates beyond it", () => {
    for (let n = -1074; n <= 1023; n += 37) expect(pow2(n)).toBe(2 ** n);
    expect(pow2(1024)).toBe(Infinity);
    expect(pow2(-1075)).toBe(0);
  });
});
