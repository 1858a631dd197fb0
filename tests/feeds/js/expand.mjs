// Reads an iCalendar feed on stdin and prints, as JSON, every occurrence ical.js finds up to the
// date given as argv[2]: [{uid, start (UTC ISO), end, status, summary}], cancelled ones included.
import ICAL from "ical.js";

const until = ICAL.Time.fromJSDate(new Date(process.argv[2]), true);
let input = "";
for await (const chunk of process.stdin) input += chunk;

const calendar = new ICAL.Component(ICAL.parse(input));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}
const masters = new Map();
const exceptions = [];
for (const vevent of calendar.getAllSubcomponents("vevent")) {
  const event = new ICAL.Event(vevent);
  if (event.isRecurrenceException()) exceptions.push(event);
  else masters.set(event.uid, event);
}
for (const exception of exceptions) {
  const master = masters.get(exception.uid);
  if (master) master.relateException(exception);
  // A file holding one date of a series (no master): that date, as Thunderbird imports it.
  else masters.set(`${exception.uid} ${exception.recurrenceId}`, exception);
}

const out = [];
for (const event of masters.values()) {
  const status = (component) => component.getFirstPropertyValue("status") || "CONFIRMED";
  if (!event.isRecurring()) {
    out.push({
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      status: status(event.component),
      summary: event.summary,
    });
    continue;
  }
  const iterator = event.iterator();
  let next;
  let guard = 0;
  while ((next = iterator.next()) && next.compare(until) <= 0 && guard++ < 2000) {
    const details = event.getOccurrenceDetails(next);
    out.push({
      uid: event.uid,
      start: details.startDate.toJSDate().toISOString(),
      end: details.endDate.toJSDate().toISOString(),
      status: status(details.item.component),
      summary: details.item.summary,
    });
  }
}
process.stdout.write(JSON.stringify(out));
