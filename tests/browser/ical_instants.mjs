// Reads a JSON array of iCalendar texts on stdin and prints, as JSON, what Mozilla's ical.js
// (the parser of Thunderbird and Nextcloud Calendar) makes of each: for every VEVENT its UID,
// the zone it resolved and its start and end as UTC instants. Used by tests/calendar_clients.py.
import ICAL from "ical.js";

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;

const read = (text) => {
  // ical.js resolves each TZID from the file's own VTIMEZONEs, as Thunderbird does: nothing
  // is registered beforehand, so a zone written wrong is read wrong.
  const calendar = new ICAL.Component(ICAL.parse(text));
  return calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      zone: event.startDate.zone ? event.startDate.zone.tzid : null,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
    };
  });
};
process.stdout.write(JSON.stringify(JSON.parse(input).map(read)));
