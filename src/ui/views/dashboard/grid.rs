//! CloudWatch's dashboard grid on a terminal: 24 columns scaled to the width, rows scaled so the
//! dashboard fits the height when it can (never taller than a grid unit is wide, never below one
//! row a unit, scrolling past that). Widgets without x/y take the next free place left to right,
//! top to bottom, after the ones placed before them, as CloudWatch places them.

use ratatui::layout::Rect;

use crate::control::dashboard::model::GRID_COLUMNS;

/// A widget's place on the grid, in grid units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// No widget is taller than this many units (a dashboard body could say anything).
const MAX_HEIGHT: u32 = 1000;

/// Places widgets given as `(x, y, width, height)`: those with both x and y where they say, the
/// others in the first free place at or after the previous flowing widget's row.
pub fn place(widgets: &[(Option<u32>, Option<u32>, u32, u32)]) -> Vec<Cell> {
    let mut taken: Vec<[bool; GRID_COLUMNS as usize]> = Vec::new();
    let mut cells: Vec<Option<Cell>> = vec![None; widgets.len()];
    let fix = |w: u32, h: u32| (w.clamp(1, GRID_COLUMNS), h.clamp(1, MAX_HEIGHT));
    for (i, (x, y, w, h)) in widgets.iter().enumerate() {
        if let (Some(x), Some(y)) = (x, y) {
            let (w, h) = fix(*w, *h);
            let cell = Cell { x: (*x).min(GRID_COLUMNS - w), y: (*y).min(MAX_HEIGHT * 10), w, h };
            occupy(&mut taken, cell);
            cells[i] = Some(cell);
        }
    }
    let mut row = 0;
    for (i, (x, y, w, h)) in widgets.iter().enumerate() {
        if x.is_some() && y.is_some() {
            continue;
        }
        let (w, h) = fix(*w, *h);
        let cell = first_free(&taken, row, w, h);
        occupy(&mut taken, cell);
        row = cell.y;
        cells[i] = Some(cell);
    }
    cells.into_iter().map(|c| c.unwrap_or(Cell { x: 0, y: 0, w: 1, h: 1 })).collect()
}

fn free(taken: &[[bool; GRID_COLUMNS as usize]], c: Cell) -> bool {
    (c.y..c.y + c.h).all(|y| taken.get(y as usize).is_none_or(|row| (c.x..c.x + c.w).all(|x| !row[x as usize])))
}

fn first_free(taken: &[[bool; GRID_COLUMNS as usize]], from_row: u32, w: u32, h: u32) -> Cell {
    let mut y = from_row;
    loop {
        for x in 0..=GRID_COLUMNS - w {
            let c = Cell { x, y, w, h };
            if free(taken, c) {
                return c;
            }
        }
        y += 1;
    }
}

fn occupy(taken: &mut Vec<[bool; GRID_COLUMNS as usize]>, c: Cell) {
    let bottom = (c.y + c.h) as usize;
    if taken.len() < bottom {
        taken.resize(bottom, [false; GRID_COLUMNS as usize]);
    }
    for row in &mut taken[c.y as usize..bottom] {
        for x in c.x..c.x + c.w {
            row[x as usize] = true;
        }
    }
}

/// The grid's area inside the dashboard's body: below the status line when there is room for one.
pub fn grid_area(body: Rect) -> Rect {
    if body.height >= 10 { Rect { y: body.y + 1, height: body.height - 1, ..body } } else { body }
}

/// The grid's height in units.
pub fn height(cells: &[Cell]) -> u32 {
    cells.iter().map(|c| c.y + c.h).max().unwrap_or(0)
}

/// Terminal rows per grid unit for an area of `width` × `rows`.
pub fn rows_per_unit(width: u16, rows: u16, grid_height: u32) -> f64 {
    // A terminal cell is about twice as tall as wide: a unit of width/24 columns is square at a
    // third of that in rows (CloudWatch's units are roughly square).
    let square = (f64::from(width) / f64::from(GRID_COLUMNS) / 3.0).max(1.0);
    let fit = f64::from(rows) / f64::from(grid_height.max(1));
    fit.clamp(1.0, square)
}

/// A cell's rectangle in `area` with the grid scrolled down by `scroll` rows, before clipping:
/// `(x, y, width, height)` with y relative to the area's top (negative above it).
pub fn scaled(c: Cell, area: Rect, rows_per_unit: f64, scroll: i32) -> (u16, i32, u16, i32) {
    let col = |u: u32| (f64::from(u) * f64::from(area.width) / f64::from(GRID_COLUMNS)).round() as u16;
    let row = |u: u32| (f64::from(u) * rows_per_unit).round() as i32;
    let (x0, x1) = (col(c.x), col(c.x + c.w));
    let (y0, y1) = (row(c.y), row(c.y + c.h));
    (area.x + x0, y0 - scroll, x1 - x0, y1 - y0)
}

/// The part of a scaled cell inside `area`, None when none of it is.
pub fn clip(area: Rect, (x, y, w, h): (u16, i32, u16, i32)) -> Option<Rect> {
    let top = y.max(0);
    let bottom = (y + h).min(i32::from(area.height));
    if bottom <= top || w == 0 {
        return None;
    }
    Some(Rect { x, y: area.y + top as u16, width: w, height: (bottom - top) as u16 })
}

/// How far to scroll so the `selected` cell is on screen (its bottom, else its top).
pub fn scroll_for(selected: Option<Cell>, area: Rect, rows_per_unit: f64) -> i32 {
    let Some(c) = selected else { return 0 };
    let (_, y, _, h) = scaled(c, area, rows_per_unit, 0);
    (y + h - i32::from(area.height)).max(0).min(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flowing_widgets_fill_rows_left_to_right_around_placed_ones() {
        let cells = place(&[
            (Some(6), Some(0), 6, 3),
            (None, None, 6, 6),
            (None, None, 12, 6),
            (None, None, 12, 6),
            (None, None, 30, 2),
        ]);
        assert_eq!(cells[0], Cell { x: 6, y: 0, w: 6, h: 3 });
        assert_eq!(cells[1], Cell { x: 0, y: 0, w: 6, h: 6 });
        assert_eq!(cells[2], Cell { x: 12, y: 0, w: 12, h: 6 });
        assert_eq!(cells[3], Cell { x: 0, y: 6, w: 12, h: 6 }, "no room beside the first row");
        assert_eq!(cells[4], Cell { x: 0, y: 12, w: 24, h: 2 }, "too wide: the whole width");
        assert_eq!(height(&cells), 14);
    }

    #[test]
    fn the_grid_scales_to_the_width_and_fits_the_height_within_limits() {
        let area = Rect::new(0, 1, 120, 38);
        // 24 columns over 120: 5 columns a unit; adjacent widgets share their edge.
        let a = scaled(Cell { x: 0, y: 0, w: 8, h: 6 }, area, 1.0, 0);
        let b = scaled(Cell { x: 8, y: 0, w: 16, h: 6 }, area, 1.0, 0);
        assert_eq!((a.0, a.2, b.0, b.2), (0, 40, 40, 80));
        // A short dashboard is no taller than square units; a long one shrinks, down to a row a unit.
        assert_eq!(rows_per_unit(120, 38, 6), 120.0 / 24.0 / 3.0);
        assert_eq!(rows_per_unit(120, 38, 24), 38.0 / 24.0);
        assert_eq!(rows_per_unit(80, 22, 60), 1.0);
        assert_eq!(rows_per_unit(1, 1, 0), 1.0);
        // Scrolled so the selected cell's bottom shows; clipped to the area.
        let low = Cell { x: 0, y: 30, w: 24, h: 6 };
        let scroll = scroll_for(Some(low), area, 1.0);
        assert_eq!(scroll, 0, "it fits already");
        let small = Rect::new(0, 1, 80, 20);
        let scroll = scroll_for(Some(low), small, 1.0);
        assert_eq!(scroll, 16);
        assert_eq!(clip(small, scaled(low, small, 1.0, scroll)), Some(Rect::new(0, 15, 80, 6)));
        assert_eq!(clip(small, scaled(Cell { x: 0, y: 0, w: 6, h: 6 }, small, 1.0, scroll)), None);
    }
}
