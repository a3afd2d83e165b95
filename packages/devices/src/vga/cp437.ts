// IBM PC code page 437 as Unicode: what each of the 256 character codes of a PC text screen
// looks like. Used to turn video memory into text (textScreen) and, by the font generator
// script, to pick each code's glyph out of a Unicode console font.
//
// Codes 0x01-0x1F and 0x7F are the graphic symbols the VGA character generator draws for them
// (smileys, card suits, arrows, the house), not ASCII control characters. Code 0x00 and 0xFF
// draw as blanks: 0x00 is given as a space, 0xFF as U+00A0 NO-BREAK SPACE.

const LOW =
  " \u263A\u263B\u2665\u2666\u2663\u2660\u2022\u25D8\u25CB\u25D9\u2642\u2640\u266A\u266B\u263C" +
  "\u25BA\u25C4\u2195\u203C\u00B6\u00A7\u25AC\u21A8\u2191\u2193\u2192\u2190\u221F\u2194\u25B2\u25BC";

let ascii = "";
for (let c = 0x20; c < 0x7f; c++) ascii += String.fromCharCode(c);

const HIGH =
  "\u2302" +
  "ÇüéâäàåçêëèïîìÄÅ" +
  "ÉæÆôöòûùÿÖÜ¢£¥\u20A7ƒ" +
  "áíóúñÑªº¿\u2310¬½¼¡«»" +
  "░▒▓│┤╡╢╖╕╣║╗╝╜╛┐" +
  "└┴┬├─┼╞╟╚╔╩╦╠═╬╧" +
  "╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀" +
  "αßΓπΣσµτΦΘΩδ∞φε∩" +
  "≡±≥≤⌠⌡÷≈°\u2219·√ⁿ²■\u00A0";

/** CP437_TO_UNICODE[code] is the character drawn for that code. */
export const CP437_TO_UNICODE: readonly string[] = Array.from(LOW + ascii + HIGH);

if (CP437_TO_UNICODE.length !== 256) throw new Error(`cp437 table has ${CP437_TO_UNICODE.length} entries`);
