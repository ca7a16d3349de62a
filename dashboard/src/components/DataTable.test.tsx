import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DataColumn, DataTable, type RowSelectionState, type SortingState } from "./DataTable";

type Item = { id: string; name: string; clicks: number };
const ROWS: Item[] = [
  { id: "a", name: "Alpha", clicks: 3 },
  { id: "b", name: "Beta", clicks: 7 },
];
const COLUMNS: DataColumn<Item>[] = [
  { id: "name", header: "Name", sortable: true, cell: (item) => <button type="button">{item.name}</button> },
  { id: "clicks", header: "Clicks", sortable: true, descFirst: true, cell: (item) => item.clicks },
  { id: "note", header: "Note", cell: () => "—" },
];

function renderTable({ sorting = [], selected = {} }: { sorting?: SortingState; selected?: RowSelectionState } = {}) {
  const onSortingChange = vi.fn();
  const onSelectedChange = vi.fn();
  const onRowClick = vi.fn();
  render(
    <DataTable
      caption="Items"
      data={ROWS}
      columns={COLUMNS}
      getRowId={(item) => item.id}
      sort={{ sorting, onSortingChange }}
      select={{ selected, onSelectedChange, rowLabel: (item) => item.name }}
      onRowClick={onRowClick}
    />,
  );
  return { onSortingChange, onSelectedChange, onRowClick };
}

afterEach(cleanup);

describe("DataTable", () => {
  it("marks the sorted column with aria-sort and only sortable columns get one", () => {
    renderTable({ sorting: [{ id: "clicks", desc: true }] });
    expect(screen.getByRole("columnheader", { name: /Clicks/ }).getAttribute("aria-sort")).toBe("descending");
    expect(screen.getByRole("columnheader", { name: /Name/ }).getAttribute("aria-sort")).toBe("none");
    expect(screen.getByRole("columnheader", { name: "Note" }).hasAttribute("aria-sort")).toBe(false);
  });

  it("asks for the first direction of a column, descending where the column says so", () => {
    const { onSortingChange } = renderTable({ sorting: [{ id: "name", desc: false }] });
    fireEvent.click(screen.getByRole("button", { name: /Clicks/ }));
    expect(onSortingChange).toHaveBeenLastCalledWith([{ id: "clicks", desc: true }]);
    fireEvent.click(screen.getByRole("button", { name: /^Name/ }));
    expect(onSortingChange).toHaveBeenLastCalledWith([{ id: "name", desc: true }]);
  });

  it("selects every row shown with the select-all checkbox, and shows a partial selection", () => {
    const { onSelectedChange } = renderTable({ selected: { b: true } });
    const all = screen.getByRole("checkbox", { name: "Select all rows on this page" }) as HTMLInputElement;
    expect(all.indeterminate).toBe(true);
    fireEvent.click(all);
    expect(onSelectedChange).toHaveBeenLastCalledWith({ a: true, b: true });
    expect((screen.getByRole("checkbox", { name: "Select Beta" }) as HTMLInputElement).checked).toBe(true);
  });

  it("opens a row on a click in it, but not on its checkbox or buttons", () => {
    const { onRowClick, onSelectedChange } = renderTable();
    const row = screen.getAllByRole("row")[1];
    if (!row) throw new Error("no body row");
    fireEvent.click(within(row).getByRole("checkbox"));
    fireEvent.click(within(row).getByRole("button", { name: "Alpha" }));
    expect(onRowClick).not.toHaveBeenCalled();
    expect(onSelectedChange).toHaveBeenLastCalledWith({ a: true });
    fireEvent.click(within(row).getByText("—"));
    expect(onRowClick).toHaveBeenCalledWith(ROWS[0]);
  });
});
