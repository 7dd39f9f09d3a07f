// Job progress (imports, analyses): poll the job's status and reload when it has ended.
const box = document.getElementById("job");

async function poll() {
  const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const data = await response.json();
  document.getElementById("job-progress").value = data.percent;
  if (data.message) document.getElementById("job-message").textContent = data.message;
  if (data.status === "running" || data.status === "queued") setTimeout(poll, 700);
  else window.location.reload();
}

if (box && ["running", "queued"].includes(box.dataset.status)) setTimeout(poll, 500);
