"""The dashboard's own style and script, inlined in the page (nothing is loaded from elsewhere).

The script only loads the overdue designations with the oversight token the user enters.
"""

STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;
margin:0;background:#f4f6f9;color:#1f2933}
header{background:#8c1c13;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:26px}header p{margin:4px 0 0;opacity:.85}
main{padding:16px 32px}section{background:#fff;border-radius:8px;padding:16px 20px;
margin-bottom:16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}h2{margin:0 0 12px;font-size:19px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:12px}
.card{border:1px solid #e3e7ed;border-radius:6px;padding:10px 14px}
.card .label{font-size:13px;color:#52606d}.card .value{font-size:24px;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e3e7ed;
padding:6px 8px;text-align:right}th:nth-child(2),td:nth-child(2),th:first-child,td:first-child
{text-align:left}tr.lagging td{background:#fff4f2}.chart{width:100%;height:auto}
.chart-title{font-size:15px;font-weight:600}.tick,.legend,.point{font-size:12px;fill:#52606d}
.grid{stroke:#e3e7ed}.overdue-named .count{color:#d2453b;font-weight:600;margin:0 4px}
.hint{color:#52606d;font-size:13px}form{margin:8px 0}form input{margin:0 8px;width:320px}
"""

SCRIPT = """
(function () {
  var form = document.getElementById('token-form');
  var status = document.getElementById('overdue-status');
  var details = document.getElementById('overdue-details');
  var asOf = new URLSearchParams(location.search).get('as_of');
  var query = asOf ? '&as_of=' + encodeURIComponent(asOf) : '';
  function token() {
    var found = location.hash.match(/token=([^&]+)/);
    if (found) { return decodeURIComponent(found[1]); }
    return form.token.value.trim() || sessionStorage.getItem('jointcredit-token') || '';
  }
  function cell(row, text) {
    var td = document.createElement('td'); td.textContent = text; row.appendChild(td);
  }
  function render(report) {
    details.textContent = '';
    report.departments.forEach(function (department) {
      var title = document.createElement('h3');
      title.textContent = department.department_name + '(逾期 ' + department.overdue + ' 件)';
      details.appendChild(title);
      var table = document.createElement('table');
      table.className = 'overdue-detail';
      table.dataset.department = department.department_code;
      var head = table.insertRow();
      ['认定编号', '备忘录', '名单', '发起部门', '反馈期限', '逾期工作日'].forEach(function (h) {
        var th = document.createElement('th'); th.textContent = h; head.appendChild(th);
      });
      department.designations.forEach(function (item) {
        var row = table.insertRow();
        row.dataset.designation = item.designation_id;
        cell(row, item.designation_id);
        cell(row, item.memorandum_title || item.memorandum_code);
        cell(row, item.list_type === 'red' ? '红名单' : '黑名单');
        cell(row, item.initiating_department);
        cell(row, item.due_date + (item.deadline_provisional ? '(暂定)' : ''));
        cell(row, String(item.workdays_overdue));
      });
      details.appendChild(table);
    });
    status.textContent = '截至 ' + report.as_of + ',逾期未反馈共 ' + report.overdue + ' 件。';
  }
  function request(path) {
    return fetch(path, {headers: {Authorization: 'Bearer ' + token()}}).then(function (r) {
      if (!r.ok) { throw new Error(r.status === 403 ? '令牌无督查权限' : '加载失败 ' + r.status); }
      return r;
    });
  }
  function load() {
    sessionStorage.setItem('jointcredit-token', token());
    request('/v1/overdue?limit=1000' + query).then(function (r) { return r.json(); }).then(render)
      .catch(function (e) { status.textContent = e.message; });
  }
  form.addEventListener('submit', function (event) { event.preventDefault(); load(); });
  form.querySelectorAll('[data-download]').forEach(function (button) {
    button.addEventListener('click', function () {
      var kind = button.dataset.download;
      request('/v1/overdue?format=' + kind + query).then(function (r) { return r.blob(); })
        .then(function (blob) {
          var link = document.createElement('a');
          link.href = URL.createObjectURL(blob);
          link.download = 'overdue.' + kind;
          link.click();
        }).catch(function (e) { status.textContent = e.message; });
    });
  });
  if (token()) { load(); }
})();
"""
