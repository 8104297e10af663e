/**
 * Dates and times as GOV.UK writes them, in UK time: "5pm on Friday 27 November 2026",
 * "9:30am on Monday 4 January 2027", "27 November 2026".
 */
const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h23',
});

function pieces(date: Date): Record<string, string> {
  return Object.fromEntries(parts.formatToParts(date).map((p) => [p.type, p.value]));
}

export function formatTime(date: Date): string {
  const p = pieces(date);
  const hour = Number(p.hour);
  const minute = p.minute!;
  const suffix = hour < 12 ? 'am' : 'pm';
  const twelve = hour % 12 === 0 ? 12 : hour % 12;
  if (hour === 12 && minute === '00') return 'midday';
  if (hour === 0 && minute === '00') return 'midnight';
  return minute === '00' ? `${twelve}${suffix}` : `${twelve}:${minute}${suffix}`;
}

export function formatDate(date: Date, { weekday = false } = {}): string {
  const p = pieces(date);
  return `${weekday ? `${p.weekday} ` : ''}${p.day} ${p.month} ${p.year}`;
}

export function formatDateTime(date: Date): string {
  return `${formatTime(date)} on ${formatDate(date, { weekday: true })}`;
}
