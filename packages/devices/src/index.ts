// @x86vm/devices: PC chipset and peripherals, one file per chip. No DOM, no Node APIs.
export { IrqPin, type IrqLine } from "./irq.ts";
